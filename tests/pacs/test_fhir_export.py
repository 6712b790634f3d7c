"""A signed assessment as a FHIR R4 bundle (validated by fhir.resources) and its POST to a local FHIR server."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator

import pytest
from fake_fhir import FakeFhirServer
from fhir.resources.R4B.bundle import Bundle
from helpers import analysed_capture

from dermstation.core.errors import ValidationError
from dermstation.dicom.network import PacsError
from dermstation.services.fhir_export import AI_TAG, ICD10, SNOMED, build_fhir_export_service
from dermstation.services.pacs import DestinationInput, build_pacs_service


@pytest.fixture
def fhir_server() -> Iterator[FakeFhirServer]:
    server = FakeFhirServer().start()
    yield server
    server.stop()


def _resources(bundle_json: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in json.loads(bundle_json)["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry)
    return out


def test_bundle_carries_the_signed_coded_diagnosis_and_labels_the_ai(services, admin, dermatologist,
                                                                      analysis_results) -> None:
    pacs = build_pacs_service(services)
    export = build_fhir_export_service(services, pacs)
    done = analysed_capture(services, dermatologist, analysis_results, record_number="FHIR-1", sign="mel.ssm")
    made = export.bundle(dermatologist, done.analysis_id)

    Bundle.model_validate_json(made.json)  # valid FHIR (what a server would parse)
    by_type = _resources(made.json)
    counts = {k: len(v) for k, v in by_type.items()}
    assert counts["Patient"] == counts["DiagnosticReport"] == counts["DocumentReference"] == counts["Device"] == 1
    assert counts["Media"] == 2 and counts["Observation"] >= 3
    assert dict(made.counts) == counts

    patient = by_type["Patient"][0]
    assert patient["request"]["ifNoneExist"].endswith("|FHIR-1")
    assert patient["resource"]["name"][0]["family"] == "Müller"

    report = by_type["DiagnosticReport"][0]["resource"]
    codings = {c["system"]: c["code"] for c in report["conclusionCode"][0]["coding"]}
    assert codings[SNOMED] == "254730000" and codings[ICD10] == "C43.9"
    assert codings["urn:dermstation:diagnosis"] == "mel.ssm"
    assert report["performer"] == [{"display": "Dr Derma"}] and report["status"] == "final"
    assert report["subject"]["reference"] == patient["fullUrl"]
    observation_urls = {e["fullUrl"] for e in by_type["Observation"]}
    assert {r["reference"] for r in report["result"]} == observation_urls

    device_url = by_type["Device"][0]["fullUrl"]
    ai = [e["resource"] for e in by_type["Observation"] if e["resource"]["code"]["coding"][0]["code"] == "malignancy_score"]
    assert len(ai) == 1
    assert ai[0]["device"]["reference"] == device_url and "performer" not in ai[0]
    assert AI_TAG in ai[0]["meta"]["tag"]
    score = analysis_results["IMD006"][1].malignancy
    assert ai[0]["valueQuantity"]["value"] == pytest.approx(score, abs=1e-6)
    measured = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in by_type["Observation"]}
    assert measured["diameter"]["valueQuantity"]["code"] == "mm" and measured["area"]["valueQuantity"]["code"] == "mm2"
    assert all(o["device"]["reference"] == device_url for o in measured.values())

    pdf = base64.b64decode(by_type["DocumentReference"][0]["resource"]["content"][0]["attachment"]["data"])
    assert pdf.startswith(b"%PDF")
    photo = base64.b64decode(by_type["Media"][0]["resource"]["content"]["data"])
    assert photo == (analysis_results["IMD006"][0]).read_bytes()


def test_the_conclusion_is_the_clinicians_not_the_models(services, dermatologist, analysis_results) -> None:
    export = build_fhir_export_service(services, build_pacs_service(services))
    model_says = analysis_results["IMD006"][1].top_class
    code = "bkl.seborrhoeic" if model_says != "bkl" else "df.dermatofibroma"
    done = analysed_capture(services, dermatologist, analysis_results, record_number="FHIR-2", sign=code)
    report = _resources(export.bundle(dermatologist, done.analysis_id).json)["DiagnosticReport"][0]["resource"]
    assert report["conclusionCode"][0]["coding"][0]["code"] == code


def test_an_unsigned_analysis_is_not_exported(services, dermatologist, analysis_results) -> None:
    export = build_fhir_export_service(services, build_pacs_service(services))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="FHIR-3")
    with pytest.raises(ValidationError, match="Sign the assessment"):
        export.bundle(dermatologist, done.analysis_id)


def test_post_to_the_configured_fhir_server(services, admin, dermatologist, ring, fhir_server,
                                            analysis_results) -> None:
    pacs = build_pacs_service(services)
    export = build_fhir_export_service(services, pacs)
    dest = pacs.save_destination(admin, DestinationInput("Hospital EHR", "fhir", url=fhir_server.base_url,
                                                         username="ehr", password="ehr-password"))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="FHIR-4", sign="nv.common")
    result = export.post(dermatologist, done.analysis_id, dest.id)
    assert result.status == 200 and result.locations[0] == "Patient/1/_history/1"
    stored = fhir_server.resources
    (report,) = stored["DiagnosticReport"].values()
    assert report["subject"]["reference"] == "Patient/1"  # urn:uuid references resolved by the server
    assert all(r["reference"].startswith("Observation/") for r in report["result"])

    second = analysed_capture(services, dermatologist, analysis_results, record_number="FHIR-4", name="IMD010",
                              sign="nv.common")
    export.post(dermatologist, second.analysis_id, dest.id)
    assert len(stored["Patient"]) == 1 and len(stored["DiagnosticReport"]) == 2  # the patient is not duplicated
    assert Counter(m for m, _path in fhir_server.requests) == {"POST": 2}

    pacs.save_destination(admin, DestinationInput("Hospital EHR", "fhir", url=fhir_server.base_url, username="ehr",
                                                  password="wrong"), dest.id)
    with pytest.raises(PacsError, match="HTTP 401"):
        export.post(dermatologist, done.analysis_id, dest.id)
    dimse = pacs.save_destination(admin, DestinationInput("PACS", "dimse", ae_title="PACS", host="10.1.1.1", port=104))
    with pytest.raises(ValidationError, match="not configured"):
        export.post(dermatologist, done.analysis_id, dimse.id)
    assert len(stored["DiagnosticReport"]) == 2


def test_connection_test_reads_the_capability_statement(services, admin, ring, fhir_server) -> None:
    pacs = build_pacs_service(services)
    good = pacs.save_destination(admin, DestinationInput("EHR", "fhir", url=fhir_server.base_url, username="ehr",
                                                         password="ehr-password"))
    pacs.test_destination(admin, good.id)
    assert fhir_server.requests[-1] == ("GET", "/fhir/metadata")
    bad = pacs.save_destination(admin, DestinationInput("EHR", "fhir", url=fhir_server.base_url, username="ehr",
                                                        password="nope"))
    with pytest.raises(PacsError, match="credentials"):
        pacs.test_destination(admin, bad.id)
