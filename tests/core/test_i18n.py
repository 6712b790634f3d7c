from __future__ import annotations

from datetime import date
from pathlib import Path

from dermstation.core import i18n


def test_unknown_language_falls_back_to_english() -> None:
    i18n.set_language("xx")
    assert i18n.current_language() == "en"
    assert i18n._("Patients") == "Patients"


def test_dates_follow_the_locale() -> None:
    try:
        i18n.set_language("de")
        assert i18n.format_day(date(2026, 3, 1)) == "01.03.2026"
        assert i18n.format_number(1234.5) == "1.234,5"
        i18n.set_language("en")
        assert i18n.format_day(date(2026, 3, 1)) == "Mar 1, 2026"
    finally:
        i18n.set_language("en")


# --- every offered language has a complete, well-formed catalogue ------------------------------------------

import re  # noqa: E402
from collections import Counter  # noqa: E402

import pytest  # noqa: E402
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TRANSLATED = sorted(set(i18n.SUPPORTED_LANGUAGES) - {"en"})
INDIC = frozenset({"hi", "ta", "te"})


def _template() -> list:
    with (i18n.translations_dir() / "dermstation.pot").open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def _catalogue(language: str):
    with (i18n.translations_dir() / language / "LC_MESSAGES" / "dermstation.po").open("rb") as fh:
        return read_po(fh, locale=language)


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def test_template_is_current() -> None:
    """The .pot holds every _()/ngettext() string of the package (else: pybabel extract, README)."""
    package = i18n.translations_dir().parent / "dermstation"
    fresh = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(package, [("**.py", "python")])
    }
    missing = fresh - {_key(m) for m in _template()}
    assert not missing, f"translations/dermstation.pot is stale; new strings: {sorted(missing)[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete_with_matching_placeholders(language: str) -> None:
    catalogue = _catalogue(language)
    problems: list[str] = []
    for wanted in _template():
        found = catalogue.get(wanted.id[0] if isinstance(wanted.id, tuple) else wanted.id)
        key = _key(wanted)
        if found is None:
            problems.append(f"missing: {key!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(strings):
            problems.append(f"untranslated: {key!r}")
            continue
        ids = wanted.id if isinstance(wanted.id, tuple) else (wanted.id,)
        expected = Counter(PLACEHOLDER.findall(ids[-1]))
        if isinstance(wanted.id, tuple) and len(strings) != catalogue.num_plurals:
            problems.append(f"{len(strings)} plural forms, {catalogue.num_plurals} wanted: {key!r}")
        for text in strings:
            if Counter(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {key!r} -> {text!r}")
            if text.count("&") != ids[0].count("&"):
                problems.append(f"menu shortcut '&' lost or added: {key!r} -> {text!r}")
            elif language in INDIC and re.search(r"&[^A-Za-z&]", text):
                # Qt underlines the letter after '&': inside an Indic syllable that breaks its shaping
                problems.append(f"put the shortcut on a Latin letter, e.g. 'फ़ाइल (&F)': {text!r}")
    assert not problems, f"{language}: {len(problems)} problems, e.g. " + "; ".join(problems[:5])


def test_plural_forms_follow_each_language() -> None:
    try:
        i18n.set_language("ar")
        forms = {n: i18n.ngettext("{n} patient", "{n} patients", n).format(n=n) for n in (2, 3, 11)}
        assert forms == {2: "2 مريضان", 3: "3 مرضى", 11: "11 مريضًا"}, "Arabic dual, few and many forms"
        i18n.set_language("hi")
        assert i18n.ngettext("{n} patient", "{n} patients", 1) != "{n} patient"
    finally:
        i18n.set_language("en")


# --- messages from the engine layers reach the user in the user's language -------------------------------------
def _user_errors() -> set[str]:
    from dermstation.core import errors

    source = Path(errors.__file__).read_text(encoding="utf-8")
    return set(re.findall(r"^class (\w+)\(", source, re.M)) | {"MaintenanceError"}


def test_every_error_for_the_user_is_marked_for_translation() -> None:
    """A DermStationError's message is shown to the user: it must go through _() where it is raised (an
    f-string or a bare string literal would stay English and is not extracted)."""
    import ast

    import dermstation

    names = _user_errors()
    plain = []
    for path in sorted(Path(dermstation.__file__).parent.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
                    and node.args and (isinstance(node.args[0], ast.JoinedStr)
                                       or (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)))):
                plain.append(f"{path.name}:{node.lineno} {node.func.id}")
    assert not plain, f"untranslated messages: {plain}"


def test_a_database_error_reads_in_the_users_language() -> None:
    from sqlalchemy.exc import IntegrityError

    from dermstation.records.database import translate_error

    try:
        i18n.set_language("de")
        error = translate_error(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: users.username")))
    finally:
        i18n.set_language("en")
    assert error is not None and error.message == "Dieser Wert wird bereits verwendet."


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_compiles_without_errors(language: str) -> None:
    """What `pybabel compile` checks (the packaged build compiles the catalogues): a msgid babel takes for a
    printf format ("≥5 % each" reads as "% e") failed the build for every language."""
    po = i18n.translations_dir() / language / "LC_MESSAGES" / "dermstation.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert not problems, problems[:5]
