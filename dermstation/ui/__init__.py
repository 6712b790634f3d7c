"""The PySide6 desktop UI: the only Qt code in DermStation."""

from dermstation.ui.qt_compat import keep_true_alive

keep_true_alive()
