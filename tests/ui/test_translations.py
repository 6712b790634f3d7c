"""The UI's strings are extracted and translated into every offered language."""

import ast
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dermstation.core.i18n import _, ngettext, set_language, translations_dir

UI_ROOT = Path(__file__).resolve().parents[2] / "dermstation" / "ui"
UI_FILES = [
    "accounts.py", "errors.py", "main_window.py", "navigation.py", "operations.py",
    "settings_page.py", "sign_in.py", "text.py", "patients/chart.py", "patients/editor.py",
    "patients/list_model.py", "patients/page.py",
]


def _ui_messages() -> set[str]:
    """Every literal passed to _() or ngettext() in the application-shell modules."""
    found: set[str] = set()
    for name in UI_FILES:
        tree = ast.parse((UI_ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            is_gettext = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "_", "ngettext"
            )
            if is_gettext and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def test_template_holds_every_ui_string() -> None:
    with (translations_dir() / "dermstation.pot").open("rb") as fh:
        template = read_po(fh)
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in template if m.id}
    missing = _ui_messages() - ids
    assert not missing, f"run pybabel extract (translations/README.md): {sorted(missing)[:5]}"


@pytest.mark.parametrize("language", ["de", "es", "fr", "hi", "ta", "te", "ar"])
def test_every_ui_string_is_translated_with_its_placeholders(language: str) -> None:
    with (translations_dir() / language / "LC_MESSAGES" / "dermstation.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    wanted = _ui_messages()
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key not in wanted:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: {key!r} is not translated"
        for placeholder in ("{n}", "{name}", "{text}", "{date}", "{age}", "{number}", "{roman}", "{file}", "{host}"):
            if placeholder in key:
                assert all(placeholder in s for s in strings), f"{language}: {key!r} lost {placeholder}"
        wanted.discard(key)
    assert not wanted, f"{language}: not in the catalogue: {sorted(wanted)[:5]}"


def test_switching_language_translates_at_once() -> None:
    set_language("de")
    assert _("Patients") == "Patienten"
    assert ngettext("{n} patient", "{n} patients", 3).format(n=3) == "3 Patienten"
    set_language("fr")
    assert _("Sign in") == "Se connecter"
    set_language("es")
    assert _("New patient") == "Nuevo paciente"
    set_language("hi")
    assert _("Patients") == "मरीज़"
    set_language("ar")
    assert _("Patients") == "المرضى"
    assert ngettext("{n} patient", "{n} patients", 2).format(n=2) == "2 مريضان"
