"""Search keys for people's names: case- and accent-folded, identical on SQLite and PostgreSQL.

The database compares these keys with plain ``LIKE`` on lower-case ASCII-ish text, so search behaves
the same on every backend without collations or extensions.

The keys are stored (``patients.name_key``, ``patients.sort_key``): a change to ``fold`` or ``words``
needs a migration that recomputes them.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not split into base letter + combining mark.
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i"}
)
_SEPARATORS = re.compile(r"[^\w]+|_+")


def fold(text: str) -> str:
    """Lower-case ``text``, strip accents and map special letters (``"Müller"`` -> ``"muller"``)."""
    # Case folding and compatibility decomposition feed each other (mathematical letters decompose
    # to capitals, "İ" folds to "i" + a combining dot), so repeat until nothing changes.
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_SPECIAL)


def words(text: str) -> list[str]:
    """The folded words of ``text``; hyphens, apostrophes and other punctuation separate words."""
    return [w for w in _SEPARATORS.split(fold(text)) if w]


def name_key(given_name: str, family_name: str) -> str:
    """The stored search key: every folded name word, each preceded by a space (``" anna muller "``)."""
    parts = words(given_name) + words(family_name)
    return " " + " ".join(parts) + " " if parts else " "


def sort_key(given_name: str, family_name: str) -> str:
    """Folded ``"family given"``, so ordering ignores case and accents on every backend."""
    return " ".join(words(family_name) + ["\x01"] + words(given_name))
