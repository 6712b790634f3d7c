"""DermStation: a clinical workstation for dermatology."""

__version__ = "0.1.0"
