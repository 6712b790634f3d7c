"""Hospital connection widgets on real services: the administrator's destinations card and dialog, the send
queue, prior studies and the worklist against a real Orthanc (skipped with the reason when not installed)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMenu

PACS_TESTS = Path(__file__).absolute().parents[1] / "pacs"
if str(PACS_TESTS) not in sys.path:
    sys.path.insert(0, str(PACS_TESTS))

from helpers import analysed_capture  # noqa: E402
from orthanc import Orthanc, available, free_port  # noqa: E402
from test_worklist import write_step  # noqa: E402

from dermstation.services.pacs import DestinationInput  # noqa: E402
from dermstation.ui.hospital_link import (  # noqa: E402
    DestinationsCard,
    HospitalActions,
    PriorStudiesDialog,
    SendQueueDialog,
    WorklistDialog,
)


def shot(widget, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DERMSTATION_SCREENSHOTS") or tmp_path)
    path = folder / name
    assert widget.grab().save(str(path))
    return path


@pytest.fixture
def link(services):
    built = services.hospital_link
    yield built
    built.sender.stop()


@pytest.fixture
def orthanc_server(tmp_path: Path) -> Iterator[Orthanc]:
    reason = available()
    if reason:
        pytest.skip(reason)
    server = Orthanc(tmp_path / "orthanc").start()
    yield server
    server.stop()


def test_administrator_adds_a_destination_and_sees_why_it_does_not_answer(qtbot, services, admin, ops, link, ring,
                                                                          tmp_path: Path) -> None:
    card = DestinationsCard(link, admin, ops)
    qtbot.addWidget(card)
    card.resize(760, 320)
    card.show()
    qtbot.waitUntil(lambda: not ops.busy())
    dialog = card.add()
    dialog.name.setText("Hospital PACS")
    dialog.ae_title.setText("PACS")
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(free_port())
    dialog.query.setChecked(True)
    assert not dialog.url.isVisible() and dialog.host.isVisible()
    with qtbot.waitSignal(card.loaded, timeout=10000):
        dialog.save_button.click()
    assert card.table.rowCount() == 1 and card.table.item(0, 3).text() == "send, query"

    web = card.add()
    web.kind.setCurrentIndex(web.kind.findData("dicomweb"))
    assert web.url.isVisible() and not web.host.isVisible()
    web.name.setText("Plain web")
    web.url.setText("http://pacs.hospital.example/dicom-web")
    web.save_button.click()
    qtbot.waitUntil(lambda: bool(web.errors.message_for("url")), timeout=10000)
    assert "https" in web.errors.message_for("url")  # refused in the form, nothing saved
    web.done(0)

    card.table.selectRow(0)
    card.test_button.click()
    qtbot.waitUntil(lambda: "cannot be reached" in card.status.text(), timeout=30000)
    assert shot(card, "settings_hospital_connections.png", tmp_path).stat().st_size > 5000


@pytest.fixture(scope="module")
def results():
    from fake_analysis import fake_analysis_service

    service = fake_analysis_service()  # what is sent is the stored analysis, not what the models say
    images = Path(__file__).absolute().parents[1] / "data" / "ph2" / "images"
    return {"IMD006": (images / "IMD006.jpg", service.analyze_file(images / "IMD006.jpg", pixel_spacing_mm=0.01))}


def test_send_to_pacs_action_and_queue(qtbot, services, admin, dermatologist, ops, link, results, orthanc_server,
                                       tmp_path: Path) -> None:
    from orthanc import AE_TITLE

    link.pacs.save_destination(admin, DestinationInput("Hospital PACS", "dimse", ae_title=AE_TITLE,
                                                       host="127.0.0.1", port=orthanc_server.dicom_port, query=True))
    link.pacs.save_destination(admin, DestinationInput("Old archive", "dimse", ae_title="GONE", host="127.0.0.1",
                                                       port=free_port()))
    done = analysed_capture(services, dermatologist, results, record_number="UI-1", sign="nv.common")
    from PySide6.QtWidgets import QWidget

    page = QWidget()
    qtbot.addWidget(page)
    actions = HospitalActions(link, dermatologist, ops, lambda: done.analysis_id, lambda: done.patient_id, page)
    menu = QMenu(page)
    actions.add_to(menu)
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Send to PACS", "Send to the health record (FHIR)", "Send queue…", "Prior studies at the PACS…"]
    with qtbot.waitSignal(actions.queued, timeout=60000) as queued:
        actions.send_action.trigger()
    assert queued.args == [6]  # photo, overlay, report to each of the two destinations
    link.pacs.process_queue()

    dialog = actions.show_queue()
    assert isinstance(dialog, SendQueueDialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 6, timeout=10000)
    states = sorted(dialog.table.item(r, 3).text() for r in range(6))
    assert [state.split(" at ")[0] for state in states] == ["Sent"] * 3 + ["Will retry"] * 3
    reasons = [dialog.table.item(r, 5).text() for r in range(6) if dialog.table.item(r, 3).text() != "Sent"]
    assert all("cannot be reached" in reason for reason in reasons)
    dialog.resize(1000, 360)
    assert shot(dialog, "send_queue.png", tmp_path).stat().st_size > 5000

    prior = actions.show_prior()
    assert isinstance(prior, PriorStudiesDialog)
    qtbot.waitUntil(lambda: prior.source.count() == 1)
    with qtbot.waitSignal(prior.table.model().rowsInserted, timeout=30000):
        prior.search_button.click()
    prior.table.selectRow(0)
    with qtbot.waitSignal(prior.retrieved, timeout=60000) as got:
        prior.retrieve_button.click()
    assert got.args[0].imported == () and "Not added" in prior.summary.text()  # our own pictures: already here
    shot(prior, "prior_studies.png", tmp_path)


def test_reception_fills_the_day_from_the_worklist(qtbot, services, admin, dermatologist, receptionist, ops, link,
                                                   orthanc_server, tmp_path: Path) -> None:
    from orthanc import AE_TITLE

    day = date.today() + timedelta(days=1)
    write_step(orthanc_server.worklists, patient_id="UIW-1", name="Nakamura^Emi", birth="19851224", sex="F", day=day,
               at="1430", accession="A1", step_id="1")
    link.pacs.save_destination(admin, DestinationInput("Hospital worklist", "dimse", ae_title=AE_TITLE,
                                                       host="127.0.0.1", port=orthanc_server.dicom_port,
                                                       send=False, worklist=True))
    dialog = WorklistDialog(link, receptionist, ops, [(dermatologist.id, "Dr Derma")])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.source.count() == 1)
    dialog.doctor.setCurrentIndex(1)
    dialog.day.setDate(QDate(day.year, day.month, day.day))
    with qtbot.waitSignal(dialog.table.model().rowsInserted, timeout=30000):
        dialog.fetch_button.click()
    assert dialog.table.item(0, 5).text() == "New patient" and dialog.fill_button.isEnabled()
    with qtbot.waitSignal(dialog.filled, timeout=30000) as filled:
        dialog.fill_button.click()
    assert len(filled.args[0].booked) == 1 and filled.args[0].patients_created == 1
    qtbot.waitUntil(lambda: dialog.table.item(0, 5) is not None and dialog.table.item(0, 5).text() == "In the schedule",
                    timeout=30000)
    assert not dialog.fill_button.isEnabled()
    assert "1 appointments added, 1 new patients" in dialog.summary.text()
    shot(dialog, "worklist.png", tmp_path)


def test_hooks_in_settings_and_schedule(qtbot, services, admin, receptionist, ops, link, ring) -> None:
    from dermstation.ui.preferences import UiPreferences
    from dermstation.ui.schedule.page import SchedulePage
    from dermstation.ui.settings_page import SettingsPage

    prefs = UiPreferences(services.paths.data_dir / "ui.ini")
    settings = SettingsPage(admin, services.settings_store, services.users, services.auth, prefs, ops, "en",
                            hospital_link=link)
    qtbot.addWidget(settings)
    assert isinstance(settings.destinations_card, DestinationsCard)
    plain = SettingsPage(admin, services.settings_store, services.users, services.auth, prefs, ops, "en")
    qtbot.addWidget(plain)
    assert not hasattr(plain, "destinations_card")

    reception = services.reception
    schedule = SchedulePage(reception.appointments, services.users, services.patients, receptionist, ops,
                            hospital_link=link)
    qtbot.addWidget(schedule)
    qtbot.waitUntil(lambda: not ops.busy(), timeout=10000)
    dialog = schedule.worklist_action.trigger() or schedule.findChild(WorklistDialog)
    assert isinstance(dialog, WorklistDialog)
    qtbot.waitUntil(lambda: "No worklist is configured" in dialog.summary.text(), timeout=10000)
    dialog.done(0)


def test_analysis_page_offers_the_hospital_actions(qtbot, services, dermatologist, ops, link) -> None:
    from dermstation.services.analysis import AnalysisService
    from dermstation.ui.analysis.page import AnalysisPage

    ws = replace(services, analysis=AnalysisService(provider="cpu")).workstation
    plain = AnalysisPage(replace(ws, hospital_link=None), services.patients, dermatologist, ops, reports=services.reports)
    qtbot.addWidget(plain)
    assert plain.hospital_actions is None
    page = AnalysisPage(replace(ws, hospital_link=link), services.patients, dermatologist, ops,
                        reports=services.reports)
    qtbot.addWidget(page)
    labels = [a.text() for a in page.report_button.menu().actions() if a.text()]
    assert labels[-4:] == ["Send to PACS", "Send to the health record (FHIR)", "Send queue…",
                           "Prior studies at the PACS…"]
    assert isinstance(page.hospital_actions, HospitalActions)
