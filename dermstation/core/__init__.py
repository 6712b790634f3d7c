"""Configuration, errors, i18n, logging and domain types shared by every layer. Qt-free."""
