"""The Analysis page with real widgets: the side panel says where a picture's pixel size came from (device
profile, DICOM pixel spacing, typed) beside the mm, or that sizes are in pixels; the patient and device-profile
drop-downs elide long names in the box but carry them in full in the tooltip and accessible name, and their
opened lists are wide enough to read them."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from dermstation.core.domain import CaptureSource
from dermstation.core.i18n import set_language
from dermstation.services.annotations import AnnotationService
from dermstation.services.device_profiles import Calibration, DeviceProfileService
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401 - the fast analyser

LONG_PROFILE = "Heine Delta 30 polarised with the clinic's second iPhone 15 Pro Max (room 3, 24 MP)"
FIRST, LAST = "Anneliese-Marie Konstanze", "Oberhollenzer-Wittgenstein-Hohenberg"


@pytest.fixture
def ws(services, fake_analysis):  # noqa: F811
    base = replace(services, analysis=fake_analysis).workstation
    return replace(base, annotations=AnnotationService(services.database, services.audit),
                   device_profiles=DeviceProfileService(services.database, services.audit))


def _luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def current_entry_contrast(box) -> float:
    """Contrast between the open list's highlighted entry's background (its commonest colour) and its text
    (the colour farthest from it in luminance)."""
    view = box.view()
    image = view.viewport().grab().toImage()
    rect = view.visualRect(box.model().index(box.currentIndex(), 0)) & image.rect()
    colours = Counter(image.pixelColor(x, y).rgb() for x in range(rect.left(), rect.right())
                      for y in range(rect.top(), rect.bottom()))
    background = _luminance(QColor.fromRgb(colours.most_common(1)[0][0]))
    text = max((_luminance(QColor.fromRgb(c)) for c in colours), key=lambda lum: abs(lum - background))
    light, dark = max(background, text), min(background, text)
    return (light + 0.05) / (dark + 0.05)


def _page(qtbot, services, ws, user, ops, size=(1366, 768)) -> AnalysisPage:
    page = AnalysisPage(ws, services.patients, user, ops)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    return page


def _picture(test_data: Path) -> tuple[Path, int, int]:
    path = test_data / "ph2" / "images" / "IMD006.jpg"
    h, w = cv2.imread(str(path)).shape[:2]
    return path, w, h


def _shown_scale(qtbot, page: AnalysisPage, patient_id: int, lesion_id: int) -> str:
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        page.show_patient(patient_id, lesion_id)
    assert page.metrics.scale is not None and page.metrics.scale.isVisibleTo(page)
    return page.metrics.scale.text()


def test_the_side_panel_says_where_the_pixel_size_came_from(qtbot, services, ws, dermatologist, ops,
                                                             test_data, tmp_path) -> None:
    path, w, h = _picture(test_data)
    profile = ws.device_profiles.create(dermatologist, LONG_PROFILE, "Heine Delta 30", "iPhone",
                                        Calibration(w, h, 0.0125, "manual", ""))
    patient = services.patients.create(dermatologist, PatientInput("MRN-31", FIRST, LAST, None))
    page = _page(qtbot, services, ws, dermatologist, ops)

    # a device profile chosen at import
    by_profile = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    assert ws.imports.import_files(dermatologist, by_profile.id, [path], device_profile=profile).imported
    text = _shown_scale(qtbot, page, patient.id, by_profile.id)
    assert "0.0125 mm" in text and LONG_PROFILE in text.replace("\u200b", "")
    assert page.metrics.values["diameter"].text().endswith(" mm")
    page.side_scroll.ensureWidgetVisible(page.metrics.scale)
    page.grab().save("/tmp/h17_scale_profile.png")

    # a pixel size typed in when the picture was stored
    typed = services.patients.add_lesion(dermatologist, patient.id, "chest", "L2")
    capture = services.captures.add_capture(dermatologist, typed.id, path.read_bytes(), CaptureSource.FILE, w, h,
                                            path.name, 0.02)
    ws.records.save(dermatologist, capture.id, ws.analysis.analyze_file(path, pixel_spacing_mm=0.02))
    text = _shown_scale(qtbot, page, patient.id, typed.id)
    assert text == "Pixel size 0.0200 mm, typed in when the picture was stored."

    # no scale at all: the sizes are in pixels and the panel says so
    plain = services.patients.add_lesion(dermatologist, patient.id, "back", "L3")
    assert ws.imports.import_files(dermatologist, plain.id, [path]).imported
    text = _shown_scale(qtbot, page, patient.id, plain.id)
    assert text == "Size in pixels (no scale)." and "device profile" in page.metrics.scale.toolTip()
    assert page.metrics.values["diameter"].text().endswith(" px")
    page.side_scroll.ensureWidgetVisible(page.metrics.scale)
    page.grab().save("/tmp/h17_scale_none.png")


def test_a_dicom_pixel_spacing_is_named_as_such(qtbot, services, ws, dermatologist, ops, test_data,
                                                tmp_path) -> None:
    from dicom_samples import write_dicom

    path, _w, _h = _picture(test_data)
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    dicom = write_dicom(tmp_path / "lesion.dcm", rgb, spacing=(0.015, 0.015))

    patient = services.patients.create(dermatologist, PatientInput("MRN-32", "Jo", "March", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "scalp", "L1")
    report = ws.imports.import_files(dermatologist, lesion.id, [dicom])
    assert report.imported, report.failures
    page = _page(qtbot, services, ws, dermatologist, ops)
    assert _shown_scale(qtbot, page, patient.id, lesion.id) == (
        "Pixel size 0.0150 mm, from the DICOM file's pixel spacing.")


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_long_names_are_in_full_in_tooltip_accessible_name_and_list(qtbot, services, ws, dermatologist, ops,
                                                                    test_data, size) -> None:
    path, w, h = _picture(test_data)
    ws.device_profiles.create(dermatologist, "Dino-Lite", "", "", Calibration(w, h, 0.01, "manual", ""))
    ws.device_profiles.create(dermatologist, LONG_PROFILE, "", "", Calibration(w, h, 0.0125, "manual", ""))
    long_patient = services.patients.create(dermatologist, PatientInput("MRN-33", FIRST, LAST, None))
    services.patients.create(dermatologist, PatientInput("MRN-34", "Bo", "Lee", None))
    page = _page(qtbot, services, ws, dermatologist, ops, size)
    qtbot.waitUntil(lambda: page.device_profile.count() == 3 and page.patient.count() == 3, timeout=10000)

    # the patient from the keyboard: the search box, then the drop-down
    page.search.setFocus()
    qtbot.keyClicks(page.search, "Oberhollenzer")
    qtbot.waitUntil(lambda: page.patient.currentData() == long_patient.id, timeout=10000)  # the one match opens
    full = page.patient.currentText()
    assert FIRST in full and LAST in full
    if size[0] == 1366:  # the laptop: the box elides the name
        assert page.patient.width() < page.patient.fontMetrics().horizontalAdvance(full)
    assert full in page.patient.toolTip() and page.patient.accessibleName() == f"Patient: {full}"

    # the device profile from the keyboard: focus it, then arrow down to the long name
    combo = page.device_profile
    combo.setFocus()
    combo.setCurrentIndex(0)
    while combo.currentText() != LONG_PROFILE:
        index = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() == index + 1
    if size[0] == 1366:
        assert combo.width() < combo.fontMetrics().horizontalAdvance(LONG_PROFILE)
    assert combo.toolTip().startswith(LONG_PROFILE + "\n") and "sizes in mm" in combo.toolTip()
    assert combo.accessibleName() == f"Device profile: {LONG_PROFILE}"

    # the opened lists are wide enough for the whole name
    for box, name in ((page.patient, full), (combo, LONG_PROFILE)):
        box.showPopup()
        popup = box.view().window()
        qtbot.waitUntil(popup.isVisible, timeout=5000)
        assert box.view().viewport().width() >= box.view().fontMetrics().horizontalAdvance(name), name
        assert popup.width() <= box.screen().availableGeometry().width()
        assert current_entry_contrast(box) >= 4.5  # the highlighted name is readable (WCAG AA)
        if box is combo:
            page.window().grab().save(f"/tmp/h17_profile_popup_{size[0]}.png")
            popup.grab().save(f"/tmp/h17_profile_popup_list_{size[0]}.png")
        box.hidePopup()
    page.grab().save(f"/tmp/h17_top_bar_{size[0]}.png")


@pytest.mark.parametrize("language", ["de", "ar"])
def test_the_pixel_size_line_in_another_language(qtbot, services, ws, dermatologist, ops, test_data,
                                                 language) -> None:
    from dermstation.core.i18n import format_number

    path, w, h = _picture(test_data)
    profile = ws.device_profiles.create(dermatologist, "Heine", "", "", Calibration(w, h, 0.0125, "manual", ""))
    patient = services.patients.create(dermatologist, PatientInput("MRN-35", FIRST, LAST, None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    assert ws.imports.import_files(dermatologist, lesion.id, [path], device_profile=profile).imported
    set_language(language)
    page = _page(qtbot, services, ws, dermatologist, ops)
    text = _shown_scale(qtbot, page, patient.id, lesion.id)
    assert format_number(0.0125, 4) in text and "Heine" in text  # the language's decimals, the profile's name
    if language == "ar":  # a Latin name inside right-to-left text keeps its own direction
        assert "\u2068Heine\u2069" in text
    page.side_scroll.ensureWidgetVisible(page.metrics.scale)
    page.grab().save(f"/tmp/h17_scale_{language}.png")
