"""Every diagnosis group, in every offered language, ends in the right patient wording and next steps:
in the printed summary (through the real service, database and signature) and in the offline answer."""

from __future__ import annotations

import re

import pytest
from clinic_fixtures import HOSPITAL, Clinic, sign
from pdf_text import norm, pdf_text

from dermstation.core.diagnoses import PatientKey, catalogue
from dermstation.core.i18n import SUPPORTED_LANGUAGES
from dermstation.core.patient_text import CANCER_KEYS, PLAN_TEXT_KEYS, patient_text
from dermstation.reports.layout import day
from dermstation.services.assessments import AssessmentService
from dermstation.services.assistant import AssistantService
from dermstation.services.reports import ReportService
from dermstation.services.types import CurrentUser

pytestmark = pytest.mark.clinical_safety

# Latin-script texts come back from the PDF text layer word for word; Indic vowel signs drawn before their
# consonant come back in drawing order (tests/reports/test_fonts.py checks those shapes), so for hi/ta/te the
# check compares the letters regardless of order, and for Arabic (visual order) the words.
COMPARABLE = {"en", "de", "es", "fr"}


@pytest.fixture
def database_url(sqlite_url: str) -> str:  # a sweep of 120 summaries: once, on SQLite
    return sqlite_url


def _code(key: PatientKey) -> str:
    return next(e.code for e in catalogue().offered() if e.patient_key is key)


def _letters(text: str) -> str:
    return "".join(sorted(c for c in norm(text) if c.isalpha()))


def _contains(pdf_words: str, expected: str, language: str) -> bool:
    if language == "ar":  # the text layer holds Arabic lines in visual order: compare the words
        return all(w in pdf_words for w in re.findall(r"\w+", norm(expected)))
    if language in COMPARABLE:
        return norm(expected) in pdf_words
    # same multiset of letters in a window: compare sorted letters of the expected text with the page's
    wanted = _letters(expected)
    have = _letters(pdf_words)
    return all(have.count(c) >= wanted.count(c) for c in set(wanted))


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_every_group_and_plan_reads_right_in_the_summary_and_the_offline_answer(
    language: str, services, dermatologist: CurrentUser, clinic: Clinic, assessments: AssessmentService,
    reports: ReportService, assistant: AssistantService,
) -> None:
    text = patient_text(language)
    for n, key in enumerate(PatientKey):
        plan = PLAN_TEXT_KEYS[n % len(PLAN_TEXT_KEYS)]  # every plan in every language
        signed = sign(assessments, dermatologist, clinic, _code(key), plan)
        pdf = pdf_text(reports.patient_summary(dermatologist, clinic.analysis_id, language=language).pdf)
        entry = text.diagnosis(key)
        for expected in (entry.name, entry.plain, text.plan[plan]):
            assert _contains(pdf, expected, language), (language, key, plan, expected)
        for other in PatientKey:  # no other group's wording slipped in
            if other is not key and language in COMPARABLE:
                assert norm(text.diagnosis(other).plain) not in pdf, (language, key, other)
        if language in COMPARABLE:
            assert (norm(text.reassurance_malignant) in pdf) == (key in CANCER_KEYS), (language, key)
        if plan in ("monitor", "dermoscopic_follow_up"):
            due = signed.follow_up_due()
            assert due is not None and _contains(pdf, day(due, language), language) and str(due.year) in pdf
        assert (HOSPITAL in pdf) == plan.startswith("referral"), (language, plan)

        offline = assistant.explain(dermatologist, clinic.analysis_id, "", language)
        assert offline.offline and offline.language == language
        for expected in (entry.name, entry.plain, entry.treatment, text.plan[plan]):
            assert expected in offline.text, (language, key, plan)
