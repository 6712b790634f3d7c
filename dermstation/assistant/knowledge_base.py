"""The curated, offline knowledge base: what each lesion class is, how it is usually treated, warning
signs and prevention, in every supported language, with reputable sources.

Files: ``resources/knowledge_base/<lang>.json``::

    {"language": "en",
     "ui": {"title": ..., "what_it_is": ..., "treatment": ..., "warning_signs": ..., "prevention": ...,
            "sources": ..., "disclaimer": ..., "offline_label": ...},
     "classes": {"mel": {"name": ..., "what_it_is": ..., "treatment": ..., "warning_signs": ...,
                         "prevention": ..., "sources": [{"title": ..., "url": "https://..."}]}, ...}}

The texts were written for patients, reviewed against the cited pages, and always end with the
advice to follow the dermatologist. A missing language falls back to English.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dermstation.core.config import PROJECT_ROOT
from dermstation.core.domain import LESION_CLASSES
from dermstation.core.errors import AssistantError
from dermstation.core.i18n import RIGHT_TO_LEFT, SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

KNOWLEDGE_BASE_DIR = PROJECT_ROOT / "resources" / "knowledge_base"
ENTRY_FIELDS: tuple[str, ...] = ("what_it_is", "treatment", "warning_signs", "prevention")
UI_FIELDS: tuple[str, ...] = (
    "title", "what_it_is", "treatment", "warning_signs", "prevention", "sources", "disclaimer",
    "offline_label",
)


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One lesion class in one language."""

    lesion_class: str
    name: str
    what_it_is: str
    treatment: str
    warning_signs: str
    prevention: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    language: str
    labels: dict[str, str]
    entries: dict[str, Entry]

    @property
    def right_to_left(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    def entry(self, lesion_class: str) -> Entry:
        try:
            return self.entries[lesion_class]
        except KeyError:
            raise AssistantError("The offline knowledge base has no entry for this result.",
                                 details=f"class {lesion_class!r} in {self.language}") from None

    def label(self, key: str) -> str:
        return self.labels[key]

    def render(self, lesion_class: str) -> str:
        """The plain-text explanation of ``lesion_class`` (title, four sections, disclaimer)."""
        entry = self.entry(lesion_class)
        parts = [
            self.labels["title"].format(name=entry.name),
            "",
            self.labels["what_it_is"], entry.what_it_is, "",
            self.labels["treatment"], entry.treatment, "",
            self.labels["warning_signs"], entry.warning_signs, "",
            self.labels["prevention"], entry.prevention, "",
            self.labels["disclaimer"],
        ]
        return "\n".join(parts)


def _parse(raw: dict, language: str, path: Path) -> KnowledgeBase:
    def fail(why: str) -> AssistantError:
        return AssistantError("The offline knowledge base is damaged.", details=f"{path.name}: {why}")

    if not isinstance(raw, dict) or raw.get("language") != language:
        raise fail("wrong or missing language")
    labels = raw.get("ui")
    if not isinstance(labels, dict) or any(not isinstance(labels.get(k), str) or not labels[k].strip()
                                           for k in UI_FIELDS):
        raise fail("ui labels missing")
    classes = raw.get("classes")
    if not isinstance(classes, dict):
        raise fail("no classes")
    entries: dict[str, Entry] = {}
    for cls in LESION_CLASSES:
        item = classes.get(cls)
        if not isinstance(item, dict):
            raise fail(f"class {cls} missing")
        texts = {k: item.get(k) for k in ("name", *ENTRY_FIELDS)}
        if any(not isinstance(v, str) or not v.strip() for v in texts.values()):
            raise fail(f"class {cls} has an empty field")
        sources = tuple(Source(str(s.get("title", "")), str(s.get("url", "")))
                        for s in item.get("sources") or () if isinstance(s, dict))
        if not sources or any(not s.url.startswith("https://") or not s.title for s in sources):
            raise fail(f"class {cls} has no usable sources")
        entries[cls] = Entry(cls, sources=sources, **{k: v.strip() for k, v in texts.items()})  # type: ignore[arg-type]
    return KnowledgeBase(language, {k: labels[k] for k in UI_FIELDS}, entries)


def load_knowledge_base(language: str, directory: Path | None = None) -> KnowledgeBase:
    """The knowledge base in ``language`` (English when that language has no file)."""
    directory = directory or KNOWLEDGE_BASE_DIR
    if language not in SUPPORTED_LANGUAGES:
        language = "en"
    path = directory / f"{language}.json"
    if not path.exists() and language != "en":
        log.warning("no offline knowledge base in %s; using English", language)
        return load_knowledge_base("en", directory)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssistantError("The offline knowledge base cannot be read.", details=f"{path.name}: {exc}") from exc
    return _parse(raw, language, path)


@cache
def knowledge_base(language: str) -> KnowledgeBase:
    """The bundled knowledge base in ``language``, loaded once."""
    return load_knowledge_base(language)
