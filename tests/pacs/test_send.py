"""Sending to a real Orthanc PACS: DIMSE and DICOMweb, the persistent queue, backoff, a peer that refuses."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pydicom
import pytest
import requests
from helpers import analysed_capture, queued_file
from orthanc import AE_TITLE, PASSWORD, USER, Orthanc, free_port
from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification, VLPhotographicImageStorage
from sqlalchemy import select

from dermstation.core.errors import PermissionDenied, ValidationError
from dermstation.dicom.encapsulated import ENCAPSULATED_PDF
from dermstation.dicom.encapsulated import missing_required as pdf_missing
from dermstation.dicom.exporter import missing_required
from dermstation.dicom.importer import SECONDARY_CAPTURE, VL_PHOTOGRAPHIC
from dermstation.records.models import AuditEvent
from dermstation.records.pacs_models import PacsDestination
from dermstation.services.container import build_services
from dermstation.services.pacs import Backoff, DestinationInput, build_pacs_service

pytestmark = pytest.mark.pacs
NAEVUS = "nv.common"


class Clock:
    """A settable "now" so backoff delays pass without sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def dimse(server: Orthanc, **changes: object) -> DestinationInput:
    values = {"name": "Hospital PACS", "kind": "dimse", "ae_title": AE_TITLE, "host": "127.0.0.1",
              "port": server.dicom_port, "query": True}
    values.update(changes)
    return DestinationInput(**values)  # type: ignore[arg-type]


def test_capture_overlay_and_signed_report_reach_the_pacs(services, admin, dermatologist, orthanc,
                                                          analysis_results) -> None:
    pacs = build_pacs_service(services)
    dest = pacs.save_destination(admin, dimse(orthanc))
    first = analysed_capture(services, dermatologist, analysis_results, record_number="SEND-1", sign=NAEVUS)
    items = pacs.queue_analysis(dermatologist, first.analysis_id)
    assert [i.kind for i in items] == ["photo", "overlay", "report"]
    assert {i.state for i in items} == {"queued"}
    run = pacs.process_queue()
    assert (run.sent, run.retrying, run.failed) == (3, 0, 0)
    queue = {i.id: i for i in pacs.queue(dermatologist, patient_id=first.patient_id)}
    assert all(queue[i.id].state == "sent" and queue[i.id].sent_at is not None for i in items)
    assert {i.sop_instance_uid for i in items} <= orthanc.instance_uids()

    # what arrived is what the exporter wrote: required attributes present, the overlay and report
    # reference the photograph, all three in one study
    by_kind = {item.kind: pydicom.dcmread(io.BytesIO(queued_file(services, item.id))) for item in items}
    photo, overlay, report = by_kind["photo"], by_kind["overlay"], by_kind["report"]
    assert str(photo.SOPClassUID) == VL_PHOTOGRAPHIC and not missing_required(photo)
    assert str(overlay.SOPClassUID) == SECONDARY_CAPTURE and not missing_required(overlay)
    assert str(report.SOPClassUID) == ENCAPSULATED_PDF and not pdf_missing(report)
    assert report.EncapsulatedDocument[:4] == b"%PDF"
    assert overlay.ReferencedImageSequence[0].ReferencedSOPInstanceUID == photo.SOPInstanceUID
    assert len({photo.StudyInstanceUID, overlay.StudyInstanceUID, report.StudyInstanceUID}) == 1
    assert photo.PatientID == "SEND-1"

    # a follow-up visit of the same lesion: same study, same series, new instances
    follow = analysed_capture(services, dermatologist, analysis_results, record_number="SEND-1", name="IMD010",
                              lesion_id=first.lesion_id, sign=NAEVUS)
    later = pacs.queue_analysis(dermatologist, follow.analysis_id, [dest.id])
    assert {i.study_uid for i in later} == {photo.StudyInstanceUID}
    assert pacs.process_queue().sent == 3
    series = orthanc.rest(f"/studies/{_orthanc_study(orthanc, photo.StudyInstanceUID)}/series")
    assert len(series) == 3  # photographs, overlays, reports: one series each, across both visits
    assert sorted(len(s["Instances"]) for s in series) == [2, 2, 2]

    # sending the same analysis again is the same instance to the PACS (no duplicate)
    again = pacs.queue_analysis(dermatologist, first.analysis_id, [dest.id])
    assert [i.sop_instance_uid for i in again] == [i.sop_instance_uid for i in items]
    assert pacs.process_queue().sent == 3
    assert sum(len(s["Instances"]) for s in orthanc.rest(
        f"/studies/{_orthanc_study(orthanc, photo.StudyInstanceUID)}/series")) == 6

    with services.database.session() as session:
        details = [e.detail for e in session.scalars(select(AuditEvent).where(AuditEvent.table_name == "pacs_send_items"))]
    assert sum(d.startswith("sent ") for d in details) == 9
    assert sum(d.startswith("queued ") for d in details) == 9
    assert not any("Müller" in d or "SEND-1" in d for d in details)


def _orthanc_study(server: Orthanc, study_uid: str) -> str:
    found = requests.post(f"{server.http_url}/tools/lookup", data=study_uid, auth=(USER, PASSWORD), timeout=10).json()
    return next(f["ID"] for f in found if f["Type"] == "Study")


def test_dicomweb_send_with_the_password_from_the_keyring(services, admin, dermatologist, orthanc, ring,
                                                           analysis_results) -> None:
    pacs = build_pacs_service(services)
    dest = pacs.save_destination(admin, DestinationInput("Hospital DICOMweb", "dicomweb", url=orthanc.dicomweb_url,
                                                         username=USER, password=PASSWORD, query=True))
    assert ring.store[("DermStation", f"destination-{dest.id}")] == PASSWORD
    with services.database.session() as session:  # the password is nowhere in the database
        row = session.get(PacsDestination, dest.id)
        assert PASSWORD not in repr([getattr(row, c.key) for c in PacsDestination.__table__.columns])
    done = analysed_capture(services, dermatologist, analysis_results, record_number="WEB-1")
    items = pacs.queue_analysis(dermatologist, done.analysis_id)
    assert [i.kind for i in items] == ["photo", "overlay"]  # not signed: no report
    assert pacs.process_queue().sent == 2
    assert {i.sop_instance_uid for i in items} <= orthanc.instance_uids()

    # a wrong password is refused at once with the server's reason, not retried for days
    pacs.save_destination(admin, DestinationInput("Hospital DICOMweb", "dicomweb", url=orthanc.dicomweb_url,
                                                  username=USER, password="wrong"), dest.id)
    pacs.queue_analysis(dermatologist, done.analysis_id, [dest.id], include_report=False)
    run = pacs.process_queue()
    assert (run.sent, run.failed) == (0, 2)
    failed = [i for i in pacs.queue(dermatologist) if i.state == "failed"]
    assert len(failed) == 2 and all("401" in i.last_error for i in failed)


def test_killed_pacs_loses_nothing_and_the_queue_resumes_after_a_restart(services, admin, dermatologist,
                                                                        fresh_orthanc, analysis_results) -> None:
    clock = Clock()
    backoff = Backoff(base_s=30, cap_s=600, max_attempts=5)
    pacs = build_pacs_service(services, clock=clock, backoff=backoff)
    pacs.save_destination(admin, dimse(fresh_orthanc))
    one = analysed_capture(services, dermatologist, analysis_results, record_number="KILL-1")
    two = analysed_capture(services, dermatologist, analysis_results, record_number="KILL-2", name="IMD010")
    queued = pacs.queue_analysis(dermatologist, one.analysis_id) + pacs.queue_analysis(dermatologist, two.analysis_id)
    n = len(queued)
    assert n >= 4  # photo and overlay of each (and the reports when signed)

    assert pacs.process_queue(limit=2).sent == 2  # the PACS takes two ...
    fresh_orthanc.stop()  # ... then dies
    run = pacs.process_queue()
    assert (run.sent, run.retrying, run.failed) == (0, n - 2, 0)
    waiting = [i for i in pacs.queue(dermatologist) if i.state == "retrying"]
    assert len(waiting) == n - 2 and all("cannot be reached" in i.last_error for i in waiting)
    assert [i.attempts for i in sorted(waiting, key=lambda i: i.id)] == [1] + [0] * (n - 3)  # only one was tried
    assert pacs.process_queue().sent == 0  # nothing is due before the backoff delay

    clock.advance(31)
    assert pacs.process_queue().retrying == n - 2  # still down: the delay doubles
    first = min(pacs.queue(dermatologist), key=lambda i: (i.state != "retrying", i.id))
    assert first.attempts == 2 and first.next_attempt_at - clock.now == timedelta(seconds=60)

    # the workstation restarts too: a new service on the same database, the server comes back
    services.close()
    reopened = build_services(services.paths, services.database.engine.url.render_as_string(hide_password=False))
    try:
        fresh_orthanc.start()
        clock.advance(61)
        resumed = build_pacs_service(reopened, clock=clock, backoff=backoff)
        assert resumed.process_queue().sent == n - 2
        assert {i.state for i in resumed.queue(dermatologist)} == {"sent"}
        assert {i.sop_instance_uid for i in queued} <= fresh_orthanc.instance_uids()
    finally:
        reopened.close()


def test_a_peer_that_refuses_the_sop_class_gives_a_clear_reason(services, admin, dermatologist,
                                                                 analysis_results) -> None:
    received = []

    def on_store(event: evt.Event) -> int:
        received.append(str(event.dataset.SOPInstanceUID))
        return 0x0000

    scp = AE(ae_title="PHOTOSONLY")
    scp.add_supported_context(Verification)
    scp.add_supported_context(VLPhotographicImageStorage)  # no Secondary Capture, no Encapsulated PDF
    port = free_port()
    server = scp.start_server(("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    try:
        pacs = build_pacs_service(services)
        pacs.save_destination(admin, DestinationInput("Photo archive", "dimse", ae_title="PHOTOSONLY",
                                                      host="127.0.0.1", port=port))
        done = analysed_capture(services, dermatologist, analysis_results, record_number="REFUSE-1", sign=NAEVUS)
        items = pacs.queue_analysis(dermatologist, done.analysis_id)
        run = pacs.process_queue()
        assert len(items) == 3 and (run.sent, run.failed) == (1, 2)
        by_kind = {i.kind: i for i in pacs.queue(dermatologist)}
        assert by_kind["photo"].state == "sent" and received == [by_kind["photo"].sop_instance_uid]
        assert by_kind["overlay"].state == "failed"
        assert "does not accept Secondary Capture Image objects" in by_kind["overlay"].last_error
        assert "does not accept Encapsulated PDF objects" in by_kind["report"].last_error
        assert by_kind["overlay"].attempts == 1  # a refusal is not retried
    finally:
        server.shutdown()


def test_backoff_gives_up_after_the_last_attempt(services, admin, dermatologist, analysis_results) -> None:
    clock = Clock()
    pacs = build_pacs_service(services, clock=clock, backoff=Backoff(base_s=10, cap_s=40, max_attempts=4))
    pacs.save_destination(admin, DestinationInput("Nowhere", "dimse", ae_title="NOBODY", host="127.0.0.1",
                                                  port=free_port()))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="DOWN-1", sign=None)
    (item, _overlay) = pacs.queue_analysis(dermatologist, done.analysis_id)
    delays = []
    for _ in range(4):
        pacs.process_queue()
        current = next(i for i in pacs.queue(dermatologist) if i.id == item.id)
        if current.state == "retrying":
            delays.append((current.next_attempt_at - clock.now).total_seconds())
        clock.advance(3600)
    assert delays == [10, 20, 40]
    final = next(i for i in pacs.queue(dermatologist) if i.id == item.id)
    assert final.state == "failed" and final.attempts == 4 and "cannot be reached" in final.last_error
    pacs.retry_now(dermatologist, item.id)  # a person can push it again
    assert next(i for i in pacs.queue(dermatologist) if i.id == item.id).state == "queued"


def test_nothing_goes_to_a_destination_the_administrator_did_not_configure(services, admin, dermatologist,
                                                                          receptionist, analysis_results) -> None:
    pacs = build_pacs_service(services)
    done = analysed_capture(services, dermatologist, analysis_results, record_number="CONF-1")
    with pytest.raises(ValidationError, match="No PACS is configured"):
        pacs.queue_analysis(dermatologist, done.analysis_id)
    with pytest.raises(PermissionDenied):
        pacs.save_destination(dermatologist, DestinationInput("Mine", "dimse", ae_title="X", host="10.0.0.1", port=104))
    with pytest.raises(PermissionDenied):
        pacs.save_destination(receptionist, DestinationInput("Mine", "dimse", ae_title="X", host="10.0.0.1", port=104))
    dest = pacs.save_destination(admin, DestinationInput("PACS", "dimse", ae_title="PACS", host="10.0.0.1", port=104))
    with pytest.raises(PermissionDenied):
        pacs.queue_analysis(dermatologist, done.analysis_id, [dest.id + 1])
    with pytest.raises(ValidationError, match="https"):
        pacs.save_destination(admin, DestinationInput("Web", "dicomweb", url="http://pacs.hospital.example/dicom-web"))
    with pytest.raises(ValidationError):
        pacs.save_destination(admin, DestinationInput("Bad AE", "dimse", ae_title="WAY-TOO-LONG-AE-TITLE",
                                                      host="10.0.0.1", port=104))
    pacs.retire_destination(admin, dest.id)
    with pytest.raises(ValidationError, match="No PACS is configured"):
        pacs.queue_analysis(dermatologist, done.analysis_id)


def test_sent_files_pass_dciodvfy(services, admin, dermatologist, orthanc, analysis_results, tmp_path) -> None:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy is not installed (Debian package dicom3tools, installed by scripts/setup.sh dev)")
    pacs = build_pacs_service(services)
    pacs.save_destination(admin, dimse(orthanc))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="VFY-1", sign=NAEVUS)
    for item in pacs.queue_analysis(dermatologist, done.analysis_id):
        path = tmp_path / f"{item.kind}.dcm"
        path.write_bytes(queued_file(services, item.id))
        out = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
        errors = [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]
        assert errors == [], (item.kind, errors)


def test_a_picture_retracted_after_queueing_is_not_sent(services, admin, dermatologist, orthanc,
                                                        analysis_results) -> None:
    from dermstation.core.assessments import RetractionReason
    from dermstation.services.assessments import AssessmentService

    pacs = build_pacs_service(services)
    pacs.save_destination(admin, dimse(orthanc))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="RETRACT-1")
    items = pacs.queue_analysis(dermatologist, done.analysis_id)
    AssessmentService(services.database, services.audit).retract_capture(
        dermatologist, done.capture_id, RetractionReason.WRONG_PATIENT, "")
    run = pacs.process_queue()
    assert (run.sent, run.failed) == (0, len(items))
    assert all("retracted" in i.last_error for i in pacs.queue(dermatologist))
    assert not {i.sop_instance_uid for i in items} & orthanc.instance_uids()
    with pytest.raises(ValidationError, match="retracted"):
        pacs.queue_analysis(dermatologist, done.analysis_id)  # and it cannot be queued again


def test_signing_queues_only_for_destinations_that_send_on_signing(services, admin, dermatologist, orthanc,
                                                                   analysis_results) -> None:
    from dermstation.core.assessments import Plan, PlanKind
    from dermstation.services.assessments import AssessmentService

    pacs = build_pacs_service(services)
    manual = pacs.save_destination(admin, dimse(orthanc, name="By hand"))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="AUTO-1")
    signing = AssessmentService(services.database, services.audit)
    signed = signing.sign(dermatologist, done.analysis_id, "nv.common", Plan(PlanKind.MONITOR, 6))
    assert pacs.queue_signed(dermatologist, signed) == ()  # nobody asked for sending on signing

    auto = pacs.save_destination(admin, dimse(orthanc, name="On signing", auto_send=True))
    amended = signing.sign(dermatologist, done.analysis_id, "nv.dysplastic", Plan(PlanKind.MONITOR, 3))
    items = pacs.queue_signed(dermatologist, amended)
    assert {i.destination_id for i in items} == {auto.id} and manual.id != auto.id
    assert [i.kind for i in items] == ["photo", "overlay", "report"]
    assert pacs.process_queue().sent == 3
    report = pydicom.dcmread(io.BytesIO(queued_file(services, items[2].id)))
    assert report.InstanceNumber == amended.id  # the amended version's report, a new instance


def test_a_queued_file_that_is_gone_fails_with_the_reason(services, admin, dermatologist, orthanc,
                                                          analysis_results) -> None:
    from dermstation.records.pacs_models import PacsSendItem

    pacs = build_pacs_service(services)
    pacs.save_destination(admin, dimse(orthanc))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="GONE-1")
    photo, overlay = pacs.queue_analysis(dermatologist, done.analysis_id)
    with services.database.session() as session:  # as if the stored file had been lost
        session.get(PacsSendItem, photo.id).content_sha256 = "0" * 64
    run = pacs.process_queue()
    assert (run.sent, run.failed) == (1, 1)
    lost = next(i for i in pacs.queue(dermatologist) if i.id == photo.id)
    assert lost.state == "failed" and "missing" in lost.last_error


def test_items_claimed_by_a_sender_that_died_are_sent_after_the_lease(services, admin, dermatologist, orthanc,
                                                                      analysis_results) -> None:
    clock = Clock()
    backoff = Backoff(lease_s=300)
    dying = build_pacs_service(services, clock=clock, backoff=backoff)
    dying.save_destination(admin, dimse(orthanc))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="LEASE-1")
    items = dying.queue_analysis(dermatologist, done.analysis_id)
    assert len(dying._claim(10)) == len(items)  # noqa: SLF001 - a sender claims the items, then its process dies

    other = build_pacs_service(services, clock=clock, backoff=backoff)  # another workstation, or the restart
    assert other.process_queue().sent == 0  # leased: not sent twice meanwhile
    clock.advance(301)
    assert other.process_queue().sent == len(items)
    assert {i.state for i in other.queue(dermatologist)} == {"sent"}
    assert {i.sop_instance_uid for i in items} <= orthanc.instance_uids()


def test_pacs_killed_while_a_pass_is_sending(services, admin, dermatologist, fresh_orthanc, analysis_results) -> None:
    """The server dies in the middle of a pass (not between passes): whatever was in flight is sent again later;
    nothing is lost and nothing is stored twice (the instance UIDs are stable)."""
    import threading

    clock = Clock()
    pacs = build_pacs_service(services, clock=clock, backoff=Backoff(base_s=30, max_attempts=5))
    pacs.save_destination(admin, dimse(fresh_orthanc))
    queued = []
    for n, name in enumerate(("IMD006", "IMD010", "IMD006")):
        done = analysed_capture(services, dermatologist, analysis_results, record_number=f"MID-{n}", name=name)
        queued += pacs.queue_analysis(dermatologist, done.analysis_id)
    runs = []
    sender = threading.Thread(target=lambda: runs.append(pacs.process_queue()))
    sender.start()
    deadline = time.monotonic() + 60
    while not fresh_orthanc.instance_uids() and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting on a real server process: no signal to wait on
    fresh_orthanc.stop()
    sender.join(60)
    (run,) = runs
    assert run.sent < len(queued) and run.sent + run.retrying == len(queued) and run.failed == 0

    fresh_orthanc.start()
    clock.advance(31)
    assert pacs.process_queue().sent == len(queued) - run.sent
    assert {i.state for i in pacs.queue(dermatologist)} == {"sent"}
    stored = fresh_orthanc.instance_uids()
    assert {i.sop_instance_uid for i in queued} == stored  # all of them, each once
