"""Filling the day from a real Orthanc Modality Worklist (its worklists plugin, .wl files in a folder)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from orthanc import Orthanc
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from sqlalchemy import func, select

from dermstation.core.domain import Role, Sex
from dermstation.records.models import Patient
from dermstation.records.pacs_models import WorklistLink
from dermstation.services.pacs import DestinationInput, build_pacs_service
from dermstation.services.types import PatientInput
from dermstation.services.worklist import build_worklist_service

pytestmark = pytest.mark.pacs
STATION = "DERMSTATION"


def write_step(folder: Path, *, patient_id: str, name: str, birth: str, sex: str, day: date, at: str,
               accession: str, step_id: str, physician: str = "", description: str = "Dermoscopy follow-up",
               station: str = STATION) -> None:
    """One worklist file as the hospital's scheduling system leaves it for Orthanc."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = birth
    ds.PatientSex = sex
    ds.AccessionNumber = accession
    ds.RequestedProcedureID = f"RP-{accession}"
    ds.RequestedProcedureDescription = description
    ds.StudyInstanceUID = generate_uid()
    step = Dataset()
    step.Modality = "XC"
    step.ScheduledStationAETitle = station
    step.ScheduledProcedureStepStartDate = day.strftime("%Y%m%d")
    step.ScheduledProcedureStepStartTime = at
    step.ScheduledPerformingPhysicianName = physician
    step.ScheduledProcedureStepDescription = description
    step.ScheduledProcedureStepID = step_id
    ds.ScheduledProcedureStepSequence = Sequence([step])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.31"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.save_as(folder / f"{accession}-{step_id}.wl", enforce_file_format=True)


def test_reception_fills_the_day_without_duplicates(services, admin, dermatologist, receptionist,
                                                    fresh_orthanc: Orthanc) -> None:
    services.users.create_user(admin, "derm2", "Dr Ana Costa", Role.DERMATOLOGIST, "derm2-password")
    day = date.today() + timedelta(days=3)
    folder = fresh_orthanc.worklists
    known = services.patients.create(receptionist, PatientInput("WL-1", "Jo", "Müller", date(1970, 5, 1), Sex.MALE))
    write_step(folder, patient_id="WL-1", name="MULLER^JO", birth="19700501", sex="M", day=day, at="0900",
               accession="ACC1", step_id="S1")
    write_step(folder, patient_id="WL-2", name="Nakamura^Emi", birth="19851224", sex="F", day=day, at="093000",
               accession="ACC2", step_id="S1", physician="Costa^Ana^^Dr")
    write_step(folder, patient_id="WL-3", name="Other^Name", birth="19500101", sex="F", day=day, at="1000",
               accession="ACC3", step_id="S1")
    services.patients.create(receptionist, PatientInput("WL-3", "Clara", "Different", date(1960, 2, 2)))
    write_step(folder, patient_id="WL-4", name="Late^Len", birth="", sex="", day=day + timedelta(days=1), at="0800",
               accession="ACC4", step_id="S1")  # another day
    write_step(folder, patient_id="WL-5", name="Else^Where", birth="", sex="", day=day, at="0800",
               accession="ACC5", step_id="S1", station="OTHERSTATION")  # another modality's list
    past = date.today() - timedelta(days=1)
    write_step(folder, patient_id="WL-6", name="Gone^Bye", birth="", sex="", day=past, at="0800",
               accession="ACC6", step_id="S1")

    pacs = build_pacs_service(services)
    dest = pacs.save_destination(admin, DestinationInput("Hospital worklist", "dimse", ae_title="TESTPACS",
                                                         host="127.0.0.1", port=fresh_orthanc.dicom_port,
                                                         calling_ae=STATION, send=False, worklist=True))
    reception = services.reception
    worklist = build_worklist_service(services, pacs, reception.appointments)
    assert worklist.worklist_destinations(receptionist) == [(dest.id, "Hospital worklist")]

    steps = worklist.fetch(receptionist, dest.id, day)
    assert sorted(s.entry.accession_number for s in steps) == ["ACC1", "ACC2", "ACC3"]
    by_acc = {s.entry.accession_number: s for s in steps}
    assert by_acc["ACC1"].patient_id == known.id and by_acc["ACC1"].problem == ""  # MULLER == Müller
    assert by_acc["ACC2"].patient_id is None and by_acc["ACC2"].entry.birth_date == date(1985, 12, 24)
    assert "differs" in by_acc["ACC3"].problem

    result = worklist.fill_day(receptionist, dest.id, day, dermatologist_id=dermatologist.id, steps=steps)
    assert result.patients_created == 1 and result.already_there == 0
    assert [e.accession_number for e, _reason in result.skipped] == ["ACC3"]
    booked = {a.record_number: a for a in result.booked}
    assert set(booked) == {"WL-1", "WL-2"}
    assert booked["WL-1"].dermatologist_id == dermatologist.id  # no physician named: the chosen one
    assert booked["WL-2"].dermatologist_name == "Dr Ana Costa"  # named in the worklist
    assert (booked["WL-1"].start.hour, booked["WL-1"].start.minute) == (9, 0)
    assert booked["WL-1"].start.date() == day and booked["WL-2"].start.minute == 30
    assert booked["WL-2"].reason == "Dermoscopy follow-up"
    created = services.patients.search(receptionist, "Nakamura")[0]
    assert (created.record_number, created.given_name, created.date_of_birth, created.sex) == \
        ("WL-2", "Emi", date(1985, 12, 24), Sex.FEMALE)

    # filling again adds nothing: no second appointment, no second patient
    again = worklist.fill_day(receptionist, dest.id, day, dermatologist_id=dermatologist.id)
    assert again.booked == () and again.patients_created == 0 and again.already_there == 2
    with services.database.session() as session:
        assert session.scalar(select(func.count(Patient.id)).where(Patient.record_number.like("WL-%"))) == 3
        links = session.scalars(select(WorklistLink).order_by(WorklistLink.accession_number)).all()
        assert [(link.accession_number, link.step_id) for link in links] == [("ACC1", "S1"), ("ACC2", "S1")]
        assert {link.appointment_id for link in links} == {a.id for a in result.booked}
    assert len(reception.appointments.day(receptionist, day)) == 2

    yesterday = worklist.fill_day(receptionist, dest.id, past, dermatologist_id=dermatologist.id)
    assert yesterday.booked == () and yesterday.patients_created == 0  # no patient made for a step that is over
    assert [reason for _e, reason in yesterday.skipped] == ["This step's time has already passed."]
