"""The offline knowledge base: the built-in explanation of a signed diagnosis and plan.

It is written from the same reviewed patient wording as the printed summary
(:mod:`dermstation.core.patient_text`, one text per ``patient_key`` and plan, in every supported
language), so the offline explanation and the summary say the same thing: what the diagnosis is,
how it is usually treated, what happens next under the signed plan, warning signs, prevention, and
reputable patient pages as numbered references ([1, 2] in the text, the list
beside it). The model's class is not an input.
"""

from __future__ import annotations

from dataclasses import dataclass

from dermstation.assistant.privacy import PatientContext
from dermstation.core.patient_text import Source, patient_text, sources_for

__all__ = ["OfflineAnswer", "Source", "offline_answer"]


@dataclass(frozen=True)
class OfflineAnswer:
    text: str
    sources: tuple[Source, ...]
    language: str


def offline_answer(context: PatientContext) -> OfflineAnswer:
    """The built-in explanation of ``context``'s signed diagnosis and plan, in its language."""
    text = patient_text(context.language)
    words = text.explanation
    diagnosis = text.diagnosis(context.patient_key)
    sources = sources_for(context.patient_key)
    numbers = ", ".join(str(i) for i in range(1, len(sources) + 1))
    parts = [
        diagnosis.name,
        "",
        words["what_it_is"], f"{diagnosis.plain} [{numbers}]", "",
        words["treatment"], diagnosis.treatment, "",
        words["next"], text.plan[context.plan], "",
        words["warning_signs"], *(f"• {line}" for line in text.warning_signs), "",
        words["prevention"], *(f"• {line}" for line in text.prevention), "",
        words["disclaimer"],
    ]
    if context.age_band == "0-17":
        parts[2:2] = [text.for_parents, ""]
    return OfflineAnswer("\n".join(parts), sources, text.language)
