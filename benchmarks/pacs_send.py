"""How long the hospital connections take against a real Orthanc on this machine (localhost).

    .venv/bin/python benchmarks/pacs_send.py --runs 5 [--json out.json]

Measures (medians): queueing one signed analysis (three DICOM files built, the lesion report PDF rendered),
sending them (DIMSE C-STORE, one association per instance, and DICOMweb STOW-RS), querying the patient's
studies (C-FIND, QIDO-RS) and retrieving a study into the record (C-GET, WADO-RS, through the DICOM import).
Needs the Debian packages orthanc and orthanc-dicomweb (scripts/setup.sh dev).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "pacs"), str(ROOT)]

from orthanc import AE_TITLE, PASSWORD, USER, Orthanc, available  # noqa: E402

from dermstation.core.assessments import Plan, PlanKind  # noqa: E402
from dermstation.core.config import PROJECT_ROOT, Paths  # noqa: E402
from dermstation.core.domain import CaptureSource, Role  # noqa: E402
from dermstation.services.analysis import AnalysisService  # noqa: E402
from dermstation.services.analysis_records import AnalysisRecordService  # noqa: E402
from dermstation.services.assessments import AssessmentService  # noqa: E402
from dermstation.services.container import build_services  # noqa: E402
from dermstation.services.pacs import DestinationInput, build_pacs_service  # noqa: E402
from dermstation.services.types import PatientInput  # noqa: E402


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if reason := available():
        print(reason, file=sys.stderr)
        return 2
    import keyring
    from keyring.backends.null import Keyring as NullKeyring

    keyring.set_keyring(NullKeyring())  # the DICOMweb password is given below, not stored
    work = Path(tempfile.mkdtemp(prefix="pacs-bench-"))
    server = Orthanc(work / "orthanc").start()
    services = build_services(Paths(work / "data"), f"sqlite:///{work / 'bench.sqlite3'}")
    try:
        admin = services.auth.set_up_clinic("admin", "Ada Admin", "admin-password")
        services.users.create_user(admin, "derm", "Dr Derma", Role.DERMATOLOGIST, "derm-password")
        derm = services.auth.sign_in("derm", "derm-password")
        image = ROOT / "tests" / "data" / "ph2" / "images" / "IMD006.jpg"
        result = AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu").analyze_file(
            image, pixel_spacing_mm=0.01)
        records = AnalysisRecordService(services.database, services.audit, services.image_store)
        patient = services.patients.create(derm, PatientInput("BENCH-1", "Jo", "Bench", None))
        lesion = services.patients.add_lesion(derm, patient.id, "back", "")
        capture = services.captures.add_capture(derm, lesion.id, image.read_bytes(), CaptureSource.FILE, 765, 572,
                                                image.name, 0.01, datetime.now(UTC))
        stored = records.save(derm, capture.id, result)
        AssessmentService(services.database, services.audit).sign(derm, stored.id, "nv.common",
                                                                   Plan(PlanKind.MONITOR, 6))
        pacs = build_pacs_service(services)
        dimse = pacs.save_destination(admin, DestinationInput("PACS", "dimse", ae_title=AE_TITLE, host="127.0.0.1",
                                                              port=server.dicom_port, query=True))
        web = pacs.save_destination(admin, DestinationInput("Web", "dicomweb", url=server.dicomweb_url,
                                                            username=USER, send=True, query=True))
        pacs._credentials.get = lambda _id: PASSWORD  # noqa: SLF001 - benchmark only: no keyring here

        timings: dict[str, list[float]] = {k: [] for k in (
            "queue (3 files + PDF)", "send 3 via DIMSE", "send 3 via DICOMweb", "C-FIND", "QIDO-RS",
            "C-GET + import", "WADO-RS + import")}
        sizes: list[int] = []
        study_uid = ""
        for _ in range(args.runs):
            for dest, key in ((dimse, "send 3 via DIMSE"), (web, "send 3 via DICOMweb")):
                t = time.perf_counter()
                items = pacs.queue_analysis(derm, stored.id, [dest.id])
                timings["queue (3 files + PDF)"].append(time.perf_counter() - t)
                t = time.perf_counter()
                assert pacs.process_queue().sent == 3
                timings[key].append(time.perf_counter() - t)
                study_uid = items[0].study_uid
                sizes = [len(services.image_store.read(_digest(services, i.id))) for i in items]
            for dest, find_key, get_key in ((dimse, "C-FIND", "C-GET + import"), (web, "QIDO-RS", "WADO-RS + import")):
                t = time.perf_counter()
                assert pacs.find_prior(derm, patient.id, dest.id)
                timings[find_key].append(time.perf_counter() - t)
                t = time.perf_counter()
                pacs.retrieve(derm, patient.id, dest.id, study_uid)  # our own study: read, checked, refused
                timings[get_key].append(time.perf_counter() - t)
        report = {"runs": args.runs, "file_bytes": sizes, "median_ms": {k: median_ms(v) for k, v in timings.items()}}
        print(json.dumps(report, indent=2))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    finally:
        services.close()
        server.stop()
    return 0


def _digest(services, item_id: int) -> str:  # noqa: ANN001
    from dermstation.records.pacs_models import PacsSendItem

    with services.database.session() as session:
        return session.get(PacsSendItem, item_id).content_sha256


if __name__ == "__main__":
    raise SystemExit(main())
