"""The signing panel, retraction, the audit tab, reception's follow-ups and the referral dialog, through
real widgets on a real SQLite database with analyses of shipped PH2 pictures (the fake analyser's: real
outline, measurements and quality checks; what the models decide is tested in tests/inference and tests/models)."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dermstation.core.assessments import Plan, PlanKind, RetractionReason
from dermstation.core.domain import CaptureSource, ReferralUrgency
from dermstation.core.i18n import set_language
from dermstation.services.reception_types import HospitalInput
from dermstation.services.types import PatientInput, PatientSummary
from dermstation.ui.analysis.assessment import AssessmentForm, DiagnosisPicker
from dermstation.ui.analysis.audit import AuditView
from dermstation.ui.hospitals.referral import ReferralDialog
from dermstation.ui.schedule.follow_ups import FollowUpPanel
from dermstation.ui.schedule.page import SchedulePage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401 - the fast analyser (real models: tests/inference)

pytestmark = pytest.mark.clinical_safety
SHOTS = os.environ.get("DERMSTATION_SCREENSHOTS")


@pytest.fixture(scope="module")
def results(fake_analysis, test_data: Path):  # noqa: F811
    return [fake_analysis.analyze_file(test_data / "ph2" / "images" / f"{n}.jpg", pixel_spacing_mm=0.01)
            for n in ("IMD006", "IMD010")]


@pytest.fixture
def ws(services, fake_analysis):  # noqa: F811
    return replace(services, analysis=fake_analysis).workstation


@pytest.fixture
def patient(services, dermatologist):
    return services.patients.create(dermatologist, PatientInput("MRN-7", "Jo", "March", None))


@pytest.fixture
def lesion(services, dermatologist, patient):
    return services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")


@pytest.fixture
def analyses(services, ws, dermatologist, lesion, results, test_data):
    out = []
    for days_ago, (name, result) in zip((40, 0), zip(("IMD006", "IMD010"), results, strict=True), strict=True):
        data = (test_data / "ph2" / "images" / f"{name}.jpg").read_bytes()
        capture = services.captures.add_capture(dermatologist, lesion.id, data, CaptureSource.FILE, 768, 560,
                                                f"{name}.jpg", 0.01, datetime.now(UTC) - timedelta(days=days_ago))
        out.append(ws.records.save(dermatologist, capture.id, result))
    return out


@pytest.fixture
def hospital(services, admin):
    return services.hospitals.add(admin, HospitalInput("St Mary Dermatology", city="Leeds",
                                                       specialties=("dermato_oncology",)))


def _form(qtbot, ws, user, ops) -> AssessmentForm:
    form = AssessmentForm(ws.assessments, ws.hospitals, user, ops)
    qtbot.addWidget(form)
    form.resize(420, 640)
    form.show()
    return form


def _open(qtbot, form, lesion_id, analysis) -> None:
    with qtbot.waitSignal(form.history_shown, timeout=10000):
        form.set_subject(lesion_id, analysis.id, analysis.capture_id)


def test_picker_finds_diagnoses_in_the_clinicians_language(qtbot) -> None:
    set_language("de")
    try:
        picker = DiagnosisPicker()
        qtbot.addWidget(picker)
        picker.show()
        qtbot.keyClicks(picker.search, "spreit")
        assert picker.results.isVisible()
        assert picker.results.item(0).text().startswith("Superfiziell spreitendes Melanom")
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
        assert picker.chosen is not None and picker.chosen.code == "mel.ssm"
        assert picker.search.text() == "Superfiziell spreitendes Melanom" and not picker.results.isVisible()
        assert "254730000" in picker.codes.text()
        picker.search.clear()
        qtbot.keyClicks(picker.search, "ssm")  # typing again drops the choice; codes and synonyms match
        assert picker.chosen is None and picker.results.count() >= 1
        qtbot.keyClick(picker.search, Qt.Key.Key_Down)
        qtbot.keyClick(picker.results, Qt.Key.Key_Return)
        assert picker.chosen.code == "mel.ssm"
    finally:
        set_language("en")


def test_sign_amend_and_the_signature_stays_on_its_picture(qtbot, ops, ws, dermatologist, lesion, analyses,
                                                           hospital) -> None:
    first, second = analyses
    form = _form(qtbot, ws, dermatologist, ops)
    _open(qtbot, form, lesion.id, first)
    assert "Not signed yet" in form.status.text() and not form.sign_button.isEnabled()
    qtbot.keyClicks(form.picker.search, "superficial spreading")
    qtbot.keyClick(form.picker.search, Qt.Key.Key_Return)
    form.plan.kind.setCurrentIndex(form.plan.kind.findData(PlanKind.REFERRAL))
    qtbot.waitUntil(lambda: form.plan.hospital.count() == 1, timeout=10000)
    assert form.plan.referral_row.isVisible() and not form.plan.interval.isVisible()
    form.plan.urgency.setCurrentIndex(form.plan.urgency.findData(ReferralUrgency.URGENT))
    form.notes.setPlainText("Asymmetric, blue-white veil.")
    with qtbot.waitSignal(form.signed, timeout=10000) as signed:
        form.sign_button.click()
    v1 = signed.args[0]
    assert (v1.version, v1.diagnosis.code, v1.analysis_id) == (1, "mel.ssm", first.id)
    assert v1.plan == Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=hospital.id,
                           hospital_name="St Mary Dermatology")
    qtbot.waitUntil(lambda: "Version 1" in form.status.text(), timeout=10000)
    assert "Urgent referral to St Mary Dermatology" in form.status.text()
    assert form.sign_button.text() == "Sign amendment"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        form.grab().save(str(Path(SHOTS) / "assessment_signed.png"))

    # amend: same diagnosis, the plan becomes an excision -> version 2, version 1 kept and listed
    form.plan.kind.setCurrentIndex(form.plan.kind.findData(PlanKind.EXCISION))
    with qtbot.waitSignal(form.signed, timeout=10000) as signed:
        form.sign_button.click()
    assert signed.args[0].version == 2
    qtbot.waitUntil(lambda: "Version 2" in form.status.text(), timeout=10000)
    assert "Version 1" in form.history.text() and "Earlier versions" in form.history.text()

    # a later, different picture of the same lesion shows no signature at all
    _open(qtbot, form, lesion.id, second)
    assert "Not signed yet" in form.status.text()
    assert "Superficial" not in form.status.text() + form.history.text()
    assert form.picker.chosen is None and form.notes.toPlainText() == ""
    if SHOTS:
        form.grab().save(str(Path(SHOTS) / "assessment_other_picture.png"))


def test_retract_a_picture_from_the_panel(qtbot, ops, ws, dermatologist, lesion, analyses) -> None:
    first, second = analyses
    form = _form(qtbot, ws, dermatologist, ops)
    _open(qtbot, form, lesion.id, first)
    dialog = form.retract()
    assert dialog is not None and not dialog.confirm.isEnabled()  # a reason is required
    dialog.reasons.setCurrentIndex(dialog.reasons.findData(RetractionReason.WRONG_PATIENT))
    dialog.note_edit.setPlainText("Imported into the wrong chart")
    with qtbot.waitSignal(form.retracted, timeout=10000) as retracted:
        dialog.confirm.click()
    assert retracted.args[0] == first.capture_id
    assert [e.capture.id for e in ws.records.timeline(dermatologist, lesion.id)] == [second.capture_id]
    assert not form.retract_button.isEnabled()


def test_audit_tab_shows_ai_score_histology_and_signed_diagnosis(qtbot, ops, ws, dermatologist, lesion,
                                                                 analyses) -> None:
    first, _second = analyses
    signed = ws.assessments.sign(dermatologist, first.id, "mel.suspected", Plan(PlanKind.EXCISION))
    ws.assessments.record_histology(dermatologist, lesion.id, "nv.compound", date.today(), "", signed.id)
    view = AuditView(ws.assessments, dermatologist, ops)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.shown, timeout=10000) as shown:
        view.show()
    assert shown.args[0] == 1
    cells = [view.table.item(0, c).text() for c in range(view.table.columnCount())]
    assert cells[1] == "MRN-7" and cells[5] == "Compound naevus"
    assert cells[4].startswith("Suspected melanoma – histology pending (Uncertain)")
    assert cells[7] == "—"  # an open question is not judged
    assert cells[6] == ("disagrees" if first.suspicious else "agrees")
    assert "1 analyses with histology" in view.summary.text()


def test_histology_is_recorded_from_the_panel_and_shown_beside_the_signature(qtbot, ops, ws, dermatologist, lesion,
                                                                             analyses) -> None:
    first, _second = analyses
    signed = ws.assessments.sign(dermatologist, first.id, "mel.suspected", Plan(PlanKind.EXCISION))
    form = _form(qtbot, ws, dermatologist, ops)
    _open(qtbot, form, lesion.id, first)
    assert form.histology.isHidden()
    dialog = form.record_histology()
    qtbot.keyClicks(dialog.picker.search, "uncertain")  # an open question is not a histology result
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    dialog.save_button.click()
    qtbot.waitUntil(dialog.error.isVisible, timeout=10000)
    dialog.picker.search.clear()
    qtbot.keyClicks(dialog.picker.search, "lentigo maligna melanoma")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        dialog.save_button.click()
    assert saved.args[0].diagnosis.code == "mel.lmm" and saved.args[0].assessment_id == signed.id
    qtbot.waitUntil(form.histology.isVisible, timeout=10000)
    assert "Lentigo maligna melanoma" in form.histology.text()


def test_reception_sees_and_books_follow_ups_in_the_schedule(qtbot, ops, services, ws, admin, dermatologist,
                                                              receptionist, lesion, analyses) -> None:
    ws.assessments.sign(dermatologist, analyses[1].id, "nv.dysplastic",
                        Plan(PlanKind.DERMOSCOPIC_FOLLOW_UP, follow_up_months=3), "Irregular network")
    reception = services.reception
    page = SchedulePage(reception.appointments, services.users, services.patients, receptionist, ops,
                        follow_ups=reception.follow_ups)
    qtbot.addWidget(page)
    page.resize(1300, 820)
    page.show()
    panel: FollowUpPanel = page.follow_ups
    with qtbot.waitSignal(panel.shown, timeout=10000):
        page.refresh()
    assert panel.table.rowCount() == 1
    row = [panel.table.item(0, c).text() for c in range(3)]
    assert row[1] == "March, Jo · MRN-7" and row[2] == "Dermoscopic follow-up"
    assert "dysplastic" not in " ".join(row).casefold()  # reception never sees the diagnosis
    if SHOTS:
        page.grab().save(str(Path(SHOTS) / "schedule_follow_ups.png"))
    panel.table.selectRow(0)
    assert panel.book_button.isEnabled()
    panel.book_button.click()
    qtbot.waitUntil(lambda: page.follow_up_dialog is not None, timeout=10000)
    dialog = page.follow_up_dialog
    assert dialog.picker.patient is not None and dialog.picker.patient.record_number == "MRN-7"
    assert dialog.reason.text() == "Dermoscopic follow-up"
    dialog.reject()
    with qtbot.waitSignal(panel.shown, timeout=10000):  # once booked it leaves the list
        ops.spawn(panel.mark_booked(panel.requests[0], None))
    assert panel.table.rowCount() == 0 and panel.empty.isVisible()


def test_referral_dialog_lists_the_signed_diagnosis_and_the_model_only_as_ai_score(
        qtbot, ops, services, ws, dermatologist, patient, lesion, analyses, hospital) -> None:
    ws.assessments.sign(dermatologist, analyses[0].id, "bcc.nodular", Plan(PlanKind.EXCISION))
    dialog = ReferralDialog(services.referrals, services.patients, dermatologist, ops, [hospital])
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.analyses_shown, timeout=10000):
        dialog.picker.set_patient(PatientSummary(patient.id, patient.record_number, patient.given_name,
                                                 patient.family_name, None, patient.sex))
    texts = [dialog.analyses.item(i).text() for i in range(dialog.analyses.count())]
    assert len(texts) == 2
    signed = next(t for t in texts if "Nodular basal cell carcinoma" in t)
    unsigned = next(t for t in texts if t != signed)
    assert "AI score" in signed and "not signed yet" in unsigned and "AI score" in unsigned
    for text in texts:  # no model class name poses as a diagnosis
        assert "Melanocytic nevus" not in text and "Benign keratosis" not in text and "malignancy" not in text


def test_analysis_page_shows_each_pictures_own_signature(qtbot, ops, services, ws, dermatologist, patient, lesion,
                                                        analyses) -> None:
    from dermstation.ui.analysis.page import AnalysisPage

    first, second = analyses
    ws.assessments.sign(dermatologist, first.id, "mel.ssm", Plan(PlanKind.EXCISION), "Wide local excision")
    page = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.resize(1280, 860)
    page.show()
    with qtbot.waitSignal(page.analysis_shown, timeout=60000) as shown:  # opens the newest picture
        page.show_patient(patient.id, lesion.id)
    assert shown.args[0].stored.id == second.id
    form = page.assessment
    qtbot.waitUntil(lambda: "Not signed yet" in form.status.text(), timeout=10000)
    texts = [page.history.timeline.item(i).text() for i in range(page.history.timeline.count())]
    assert any("Superficial spreading melanoma · AI score" in t for t in texts)
    assert any("not signed yet · AI score" in t for t in texts)
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        page.open_capture(first.capture_id)
    qtbot.waitUntil(lambda: "Superficial spreading melanoma" in form.status.text(), timeout=10000)
    assert page.tabs.tabText(page.tabs.count() - 1) == "AI audit"
    if SHOTS:
        page.grab().save(str(Path(SHOTS) / "analysis_page_signed.png"))
        form.grab().save(str(Path(SHOTS) / "analysis_page_assessment.png"))
    with qtbot.waitSignal(form.retracted, timeout=10000):
        ops.spawn(form._retract(first.capture_id, RetractionReason.NOT_A_LESION, ""))
    assert page.shown is None and "retracted" in page.empty.text()
    qtbot.waitUntil(lambda: page.history.timeline.count() == 1, timeout=10000)


def test_old_free_text_signatures_are_shown_as_written_and_uncoded(qtbot, ops, services, ws, dermatologist, lesion,
                                                                  analyses) -> None:
    from dermstation.records.models import ClinicianAssessment

    with services.database.session() as session:  # what migration 0007 leaves of a pre-coding lesion signature
        session.add(ClinicianAssessment(lesion_id=lesion.id, analysis_id=None, legacy_diagnosis="Lentigo maligna",
                                        notes="", signed_by_id=dermatologist.id))
    form = _form(qtbot, ws, dermatologist, ops)
    _open(qtbot, form, lesion.id, analyses[0])
    qtbot.waitUntil(form.legacy.isVisible, timeout=10000)
    assert "Lentigo maligna" in form.legacy.text() and "uncoded" in form.legacy.text()
    assert "Not signed yet" in form.status.text()  # it is no signature of this picture
    assert ws.assessments.current(dermatologist, analyses[0].id) is None
