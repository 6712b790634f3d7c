"""Device profiles with real widgets: calibrated in Settings from a ruler picture (the user confirms the
millimetres), chosen beside Import, and a picture imported with it measured in mm."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import pytest

from dermstation.services.annotations import AnnotationService
from dermstation.services.device_profiles import Calibration, DeviceProfileService
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage
from dermstation.ui.preferences import UiPreferences
from dermstation.ui.settings_page import SettingsPage

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))
from analysis_fixtures import fake_analysis  # noqa: E402, F401
from test_calibration import ruler_picture  # noqa: E402


@pytest.fixture
def profiles(services) -> DeviceProfileService:
    return DeviceProfileService(services.database, services.audit)


def _shot(widget, name: str) -> None:
    if os.environ.get("DERMSTATION_SCREENSHOTS"):
        widget.grab().save(str(Path(os.environ["DERMSTATION_SCREENSHOTS"]) / name))


def _settings(qtbot, services, user, ops, profiles) -> SettingsPage:
    prefs = UiPreferences(services.paths.data_dir / "ui.ini")
    page = SettingsPage(user, services.settings_store, services.users, services.auth, prefs, ops, "en",
                        device_profiles=profiles)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    return page


def test_a_dermatologist_calibrates_a_profile_from_a_ruler_picture(qtbot, services, dermatologist, ops, profiles,
                                                                  tmp_path) -> None:
    ruler = tmp_path / "ruler.png"
    cv2.imwrite(str(ruler), ruler_picture(17.5, 5.0)[:, :, ::-1])
    page = _settings(qtbot, services, dermatologist, ops, profiles)
    card = page.device_profiles_card
    assert card is not None
    qtbot.waitUntil(lambda: not ops.busy(), timeout=10000)
    assert card.empty.isVisible() and not card.retire_button.isEnabled()
    dialog = card.new_profile()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name, "Heine Delta 30 + iPhone")
    dialog.camera.setText("iPhone 13")
    assert dialog.method_key == "ruler"
    with qtbot.waitSignal(dialog.measured, timeout=30000):
        dialog.measure(ruler)
    assert "17.5" in dialog.result.text()  # "Ticks 17.5 pixels apart: ..."
    assert dialog.spacing_edit.value() == pytest.approx(1 / 17.5, rel=0.02)
    dialog.reference.setValue(2.0)  # the user says: 2 mm between ticks on this ruler
    assert dialog.spacing_edit.value() == pytest.approx(2 / 17.5, rel=0.02)
    _shot(dialog, "device-profile-dialog.png")
    with qtbot.waitSignal(card.loaded, timeout=10000) as loaded:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    (profile,) = loaded.args[0]
    assert profile.name == "Heine Delta 30 + iPhone" and (profile.width, profile.height) == (1200, 900)
    assert profile.mm_per_pixel == pytest.approx(2 / 17.5, rel=0.02) and profile.method == "ruler"
    assert card.table.rowCount() == 1 and card.table.item(0, 3).text() == "1200×900"
    _shot(page, "settings-device-profiles-1366x768.png")
    card.table.selectRow(0)
    edit = card.edit_selected()  # rename: the measured calibration stays as it was
    qtbot.addWidget(edit)
    assert edit.name.text() == "Heine Delta 30 + iPhone" and edit.method_key == "manual"
    edit.name.setText("Heine Delta 30 + iPhone 13")
    with qtbot.waitSignal(card.loaded, timeout=10000) as renamed:
        edit.buttons.button(edit.buttons.StandardButton.Save).click()
    (same,) = renamed.args[0]
    assert same.name == "Heine Delta 30 + iPhone 13" and same.method == "ruler"
    assert same.mm_per_pixel == profile.mm_per_pixel
    card.table.selectRow(0)
    with qtbot.waitSignal(card.loaded, timeout=10000) as after:
        card.retire_button.click()
    assert after.args[0] == () and profiles.list(dermatologist, include_retired=True)[0].retired


def test_a_picture_that_is_not_a_ruler_is_refused_in_the_dialog(qtbot, services, admin, ops, profiles,
                                                                test_data) -> None:
    page = _settings(qtbot, services, admin, ops, profiles)  # administrators manage profiles too
    dialog = page.device_profiles_card.new_profile()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.measured, timeout=30000):
        dialog.measure(test_data / "ph2" / "images" / "IMD006.jpg")
    assert "ruler" in dialog.errors.message_for("calibration")
    assert dialog.calibration() is None


def test_the_chosen_profile_gives_an_imported_picture_its_size_in_mm(qtbot, services, dermatologist, ops, profiles,
                                                                     fake_analysis, test_data) -> None:  # noqa: F811
    picture = test_data / "ph2" / "images" / "IMD006.jpg"
    h, w = cv2.imread(str(picture)).shape[:2]
    profile = profiles.create(dermatologist, "Heine + phone", "Heine", "phone", Calibration(w, h, 0.015, "manual", ""))
    ws = replace(replace(services, analysis=fake_analysis).workstation, device_profiles=profiles,
                 annotations=AnnotationService(services.database, services.audit))
    patient = services.patients.create(dermatologist, PatientInput("MRN-2", "Jo", "March", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    page = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    with qtbot.waitSignal(page.device_profile.chosen, timeout=10000):
        page.show()
    assert page.device_profile.count() == 2 and page.device_profile.current() == profile  # the one profile
    assert page.live.device_profile == profile
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id, lesion.id)
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        page.import_files([picture])
    assert page.metrics.values["diameter"].text().endswith(" mm")
    qtbot.waitUntil(lambda: page.annotations.status.text() == "Scale known: rulers in mm", timeout=10000)
    _shot(page, "analysis-device-profile-1366x768.png")
    page.device_profile.setCurrentIndex(0)  # no profile: the live view stores frames without a size
    assert page.live.device_profile is None


def test_a_picture_the_chosen_profile_does_not_fit_is_refused_naming_it(qtbot, services, dermatologist, ops,
                                                                       profiles, fake_analysis,  # noqa: F811
                                                                       test_data) -> None:
    profiles.create(dermatologist, "Video camera 16:9", "", "", Calibration(1920, 1080, 0.01, "manual", ""))
    ws = replace(replace(services, analysis=fake_analysis).workstation, device_profiles=profiles)
    patient = services.patients.create(dermatologist, PatientInput("MRN-3", "Jo", "March", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    page = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.resize(1920, 1080)
    with qtbot.waitSignal(page.device_profile.chosen, timeout=10000):
        page.show()
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id, lesion.id)
    with qtbot.waitSignal(page.imported, timeout=30000) as imported:
        page.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    assert not imported.args[0].imported
    text = page.message.text().replace("\u200b", "")
    assert "IMD006.jpg" in text and "Video camera 16:9" in text and "1920×1080" in text
    _shot(page, "analysis-profile-mismatch-1920x1080.png")
