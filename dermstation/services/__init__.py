"""Use cases (sign in, patients, captures, ...): plain, synchronous Python used by the UI and the CLI.

Services take frozen values from ``services.types`` and return them; no SQLAlchemy object ever leaves
this package.
"""
