"""The Analysis page refuses to score what is not dermoscopy of a skin lesion: real files, real widgets.

Each picture of tests/applicability_samples.py is imported through the page as a user would: it is
kept as a photograph of the lesion, and the page shows it with the reason and what to do, and nothing
else: no class, no probabilities, no malignancy flag, no report. A CT file is not imported at all.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dermstation.core.refusals import refusal_text
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import analysis_service  # noqa: E402, F401
from applicability_samples import write_refused  # noqa: E402


@pytest.fixture
def ws(services, analysis_service):  # noqa: F811
    return replace(services, analysis=analysis_service).workstation


@pytest.fixture
def page(qtbot, services, dermatologist, ops, ws):
    patient = services.patients.create(dermatologist, PatientInput("MRN-15", "Ann", "Refusal", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "back", "B1")
    page = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id, lesion.id)
    return page


@pytest.fixture(scope="module")
def refused_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("refused")
    return folder, write_refused(folder)


def test_each_refused_picture_is_kept_but_never_scored(qtbot, page, ws, dermatologist, refused_files) -> None:
    folder, expected = refused_files
    pictures = {n: r for n, r in expected.items() if not n.endswith(".dcm")}
    for name, reason in pictures.items():
        with qtbot.waitSignal(page.analysis_refused, timeout=120000) as refused:
            page.import_files([folder / name])
        error = refused.args[0]
        assert error.reasons[0] == reason, (name, error.reasons)
        assert page.result_stack.currentWidget() is page.refusal
        banner = page.refusal.banner.text()
        assert "Not scored" in banner and refusal_text(reason).split(",")[0] in banner.replace("&amp;", "&")
        assert page.shown is None and not page.report_button.isEnabled()
        assert not page.chart.isVisible() and not page.headline.isVisible()  # no class, no probabilities
    timeline = ws.records.timeline(dermatologist, page.lesion_id)
    assert len(timeline) == len(pictures)  # kept as photographs of the lesion ...
    assert all(entry.analysis is None for entry in timeline)  # ... and never scored


def test_ct_file_is_not_imported(qtbot, page, ws, dermatologist, refused_files) -> None:
    folder, _ = refused_files
    with qtbot.waitSignal(page.imported, timeout=20000) as imported:
        page.import_files([folder / "ct.dcm"])
    report = imported.args[0]
    assert not report.imported and len(report.failures) == 1
    assert "ct.dcm" in page.message.text() and "not a photograph" in page.message.text()
    assert ws.records.timeline(dermatologist, page.lesion_id) == ()


@pytest.mark.parametrize("name", ["xray.png", "coffee.jpg"])
def test_screenshot_of_a_refusal(qtbot, page, refused_files, tmp_path: Path, name: str) -> None:
    """Screenshots go to $DERMSTATION_SCREENSHOTS when it is set, to be looked at."""
    folder, _ = refused_files
    with qtbot.waitSignal(page.analysis_refused, timeout=120000):
        page.import_files([folder / name])
    shot = Path(os.environ.get("DERMSTATION_SCREENSHOTS") or tmp_path) / f"refusal-{Path(name).stem}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(str(shot)) and shot.stat().st_size > 10000


def test_live_view_says_why_it_does_not_score_and_still_captures(qtbot, page, ws, dermatologist,
                                                                 tmp_path: Path) -> None:
    """A camera pointed at a document: no outline and no class while aiming, the reason instead; a capture
    is still stored as a photograph (the clinician's choice) and the analysis tab refuses it too."""
    from dermstation.capture.camera import write_test_video

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from training.applicability_data import document

    video = write_test_video(tmp_path / "document.avi", [document(0), document(1)], fps=20.0, size=(640, 480),
                             repeat=3)
    live = page.live
    page.tabs.setCurrentWidget(live)
    with qtbot.waitSignal(live.frame_shown, timeout=10000):
        live.start_camera(str(video))
    qtbot.waitUntil(lambda: live.top_class.text().startswith("Not scored."), timeout=60000)
    assert live._live is None  # noqa: SLF001 - nothing to draw over the preview
    live.setFocus()
    with qtbot.waitSignal(live.captured, timeout=10000):
        qtbot.keyClick(live, Qt.Key.Key_Space)
    with qtbot.waitSignal(page.analysis_refused, timeout=120000) as refused:
        pass
    # refused (which reason first depends on the frame caught: black or coloured print, JPEG-compressed video)
    assert refused.args[0].reasons and refused.args[0].message.startswith("Not scored.")
    entries = ws.records.timeline(dermatologist, page.lesion_id)
    assert len(entries) == 1 and entries[0].analysis is None
    page.tabs.setCurrentIndex(0)
