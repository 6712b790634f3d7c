"""The offline knowledge base: the signed diagnosis and plan, in the patient's language, with numbered sources."""

from __future__ import annotations

import pytest

from dermstation.assistant.knowledge_base import offline_answer
from dermstation.assistant.privacy import PatientContext
from dermstation.core.diagnoses import PatientKey, catalogue
from dermstation.core.i18n import SUPPORTED_LANGUAGES
from dermstation.core.patient_text import PLAN_TEXT_KEYS, patient_text, sources_for

pytestmark = pytest.mark.clinical_safety


def _code(key: PatientKey) -> str:
    return next(e.code for e in catalogue().offered() if e.patient_key is key)


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_every_key_and_plan_in_every_language(language: str) -> None:
    text = patient_text(language)
    for key in PatientKey:
        for plan in PLAN_TEXT_KEYS:
            answer = offline_answer(PatientContext(_code(key), language, plan))
            entry = text.diagnosis(key)
            assert answer.language == language
            assert answer.text.startswith(entry.name)
            for part in (entry.plain, entry.treatment, text.plan[plan], text.explanation["disclaimer"],
                         text.warning_signs[0], text.prevention[0]):
                assert part in answer.text, (language, key, plan)
            assert answer.sources == sources_for(key)
            assert f"[{', '.join(str(i) for i in range(1, len(answer.sources) + 1))}]" in answer.text
            assert "{" not in answer.text


def test_the_model_class_is_not_an_input() -> None:
    # lentigo maligna's HAM class in the catalogue is "mel"; a benign keratosis code maps to "bkl": the text
    # follows the code's patient_key, whatever the model said about the picture
    lm = offline_answer(PatientContext("mel.lentigo_maligna", "en", "excision")).text
    assert lm.startswith("Melanoma in situ") and "harmless" not in lm.split("How it is usually treated")[0]


def test_children_are_addressed_through_their_parents() -> None:
    answer = offline_answer(PatientContext("nv.common", "fr", "reassure_self_exam", age_band="0-17"))
    assert patient_text("fr").for_parents in answer.text
    assert patient_text("fr").for_parents not in offline_answer(PatientContext("nv.common", "fr",
                                                                               "reassure_self_exam")).text
