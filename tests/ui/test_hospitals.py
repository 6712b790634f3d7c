"""Hospitals page with qtbot: filters and distance order, admin editing, CSV import report, referrals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dermstation.core.domain import ReferralStatus, Sex
from dermstation.services.container import Services
from dermstation.services.reception import ReceptionServices
from dermstation.services.reception_types import HospitalInput
from dermstation.services.types import CurrentUser, PatientInput
from dermstation.ui.hospitals.page import HospitalsPage
from dermstation.ui.operations import Operations


@pytest.fixture
def reception(services: Services, admin: CurrentUser) -> ReceptionServices:
    store = services.settings_store
    store.save(admin, store.load().with_changes(clinic_latitude=52.52, clinic_longitude=13.405))
    built = services.reception
    built.hospitals.load_sample_directory_if_empty(admin)
    return built


def make_page(qtbot, ops, services, reception, user) -> HospitalsPage:  # type: ignore[no-untyped-def]
    page = HospitalsPage(reception.hospitals, reception.referrals, services.patients, user, ops)
    page.resize(1200, 700)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    return page


def test_directory_sorted_by_distance_and_filtered_by_specialty(qtbot, ops: Operations, services, reception, receptionist) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, ops, services, reception, receptionist)
    shown = page.shown_hospitals()
    assert len(shown) == 12
    distances = [d for _n, d in shown]
    assert distances == sorted(distances)
    assert shown[0][0].startswith("Spree Skin Cancer Centre")
    assert page.table.item(0, 3).text().endswith("km")
    assert "(sample)" in page.note.text()
    assert not page.add_button.isVisible() and not page.refer_button.isVisible()  # reception
    melanoma = page.needs.findText("For melanoma")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.needs.setCurrentIndex(melanoma)
    names = [n for n, _d in page.shown_hospitals()]
    assert len(names) == 5 and all(("Onco" in n or "Tumour" in n or "Melanoma" in n or "Skin" in n) for n in names)
    # from Munich, the Isar institute comes first
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.origin.setCurrentIndex(1)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.location.setText("48.137, 11.575")
    assert page.shown_hospitals()[0][0].startswith("Isar Dermato-Oncology")
    # a town name works as well as coordinates, in its own language too; an unknown one says so
    with qtbot.waitSignal(page.loaded, timeout=20000):
        page.location.setText("München")
    assert page.shown_hospitals()[0][0].startswith("Isar Dermato-Oncology")
    assert "Munich, DE" in page.note.text()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.location.setText("Xyzzyville")
    assert "No town called “Xyzzyville”" in page.note.text()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.location.setText("Hamburg")
    assert page.shown_hospitals()[0][0].startswith("Elbe University")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.search.setText("hamburg")
    assert [n for n, _d in page.shown_hospitals()] == ["Elbe University Skin Tumour Centre (sample)"]


def test_admin_adds_edits_and_retires(qtbot, ops, services, reception, admin) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, ops, services, reception, admin)
    dialog = page.add_hospital()
    dialog.name.setText("Mitte Mohs Centre")
    dialog.city.setText("Berlin")
    dialog.latitude.setText("52,53")
    dialog.longitude.setText("13.40")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors.message_for("specialties") != "", timeout=5000)
    dialog.specialty_boxes["mohs_surgery"].setChecked(True)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        dialog.save_button.click()
    assert page.shown_hospitals()[0][0] == "Mitte Mohs Centre"  # nearest to the clinic
    page.table.selectRow(0)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.retire_button.click()
    assert "Mitte Mohs Centre" not in [n for n, _d in page.shown_hospitals()]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_retired.setChecked(True)
    assert "Mitte Mohs Centre" in [n for n, _d in page.shown_hospitals()]


def test_csv_import_shows_the_row_report(qtbot, ops, services, reception, admin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, ops, services, reception, admin)
    csv_file = tmp_path / "h.csv"
    csv_file.write_text(
        "name,city,latitude,longitude,specialties\n"
        "New Clinic,Berlin,52.5,13.4,dermatology\n"
        "Broken,Berlin,abc,13.4,dermatology\n"
        ",Berlin,,,dermatology\n",
        encoding="utf-8",
    )
    with qtbot.waitSignal(page.imported, timeout=5000) as done:
        page.import_csv_from(csv_file)
    report = done.args[0]
    assert (report.added, report.rejected_rows) == (1, 2)
    dialog = page.report_dialog
    assert dialog.summary.text() == "1 hospital added, 0 updated, 2 rows skipped."
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(0, 0).text() == "3" and dialog.table.item(0, 1).text() == "latitude"
    dialog.close()
    out = tmp_path / "out.csv"
    with qtbot.waitSignal(page.file_written, timeout=5000):
        page.export_csv_to(out)
    assert "New Clinic" in out.read_text(encoding="utf-8")


def test_dermatologist_refers_a_patient_and_tracks_status(qtbot, ops, services, reception, dermatologist) -> None:  # type: ignore[no-untyped-def]
    services.patients.create(dermatologist, PatientInput("MRN-9", "Anna", "Müller", date(1980, 1, 1), Sex.FEMALE))
    page = make_page(qtbot, ops, services, reception, dermatologist)
    page.table.selectRow(0)
    dialog = page.refer()
    assert dialog.hospital.currentData() == page.selected().id
    with qtbot.waitSignal(dialog.analyses_shown, timeout=5000):
        dialog.picker.search.setText("müller")
        dialog.picker.search_now()
    dialog.reason.setPlainText("Suspected melanoma, left shoulder")
    with qtbot.waitSignal(page.referral_created, timeout=5000) as created:
        dialog.save_button.click()
    referral = created.args[0]
    panel = page.referrals_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=5000)
    panel.table.selectRow(0)
    assert panel.next_status.currentData() == ReferralStatus.SENT
    with qtbot.waitSignal(panel.changed, timeout=5000) as changed:
        panel.apply.click()
    assert changed.args[0].id == referral.id and changed.args[0].status is ReferralStatus.SENT
    qtbot.waitUntil(lambda: panel.table.item(0, 3) is not None and panel.table.item(0, 3).text() == "Sent", timeout=5000)


def test_no_clinic_location_says_how_to_get_distances(qtbot, ops, services, admin, receptionist) -> None:  # type: ignore[no-untyped-def]
    built = services.reception
    built.hospitals.add(admin, HospitalInput(name="Somewhere", latitude=50.0, longitude=8.0, specialties=("dermatology",)))
    page = make_page(qtbot, ops, services, built, receptionist)
    assert page.shown_hospitals() == [("Somewhere", None)]
    assert "Settings" in page.note.text()
    assert page.table.item(0, 3).text() == "—"
