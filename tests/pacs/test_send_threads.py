"""Queueing a picture for the PACS: read on the database thread, decoded and built on a worker, queued on the
database thread. No PACS is contacted here (queueing does not send)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from helpers import analysed_capture, queued_file

from dermstation.services import pacs as pacs_module
from dermstation.services import reports as reports_module
from dermstation.services.pacs import DestinationInput, build_pacs_service, build_send_files

NAEVUS = "nv.common"


def test_sending_reads_on_the_database_thread_and_builds_on_a_worker(services, admin, dermatologist,
                                                                    analysis_results,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pacs = build_pacs_service(services)
    dest = pacs.save_destination(admin, DestinationInput(name="Hospital PACS", kind="dimse", ae_title="ORTHANC",
                                                         host="127.0.0.1", port=4242))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="THREADS-1", sign=NAEVUS)
    calls: list[tuple[str, str]] = []

    def spy(module, name: str) -> None:  # noqa: ANN001
        real = getattr(module, name)

        def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls.append((name, threading.current_thread().name))
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapped)

    for module, name in ((pacs_module, "_decode_rgb"), (pacs_module, "render_overlay"),
                         (pacs_module, "build_photograph"), (reports_module, "decode_stored"),
                         (reports_module, "render_lesion_report")):
        spy(module, name)
    with ThreadPoolExecutor(1, thread_name_prefix="db") as db, ThreadPoolExecutor(1, thread_name_prefix="worker") as work:
        inputs = db.submit(pacs.queue_inputs, dermatologist, done.analysis_id, None).result()
        assert calls == []  # nothing decoded, drawn or built while reading
        assert isinstance(inputs.picture, bytes) and inputs.mask is not None and inputs.report is not None
        assert inputs.destination_ids == (dest.id,)
        assert not any(isinstance(v, np.ndarray) for v in vars(inputs).values())
        files = work.submit(build_send_files, inputs).result()
        items = db.submit(pacs.enqueue, dermatologist, inputs, files).result()
    assert {name for name, _thread in calls} == {"_decode_rgb", "render_overlay", "build_photograph",
                                                 "decode_stored", "render_lesion_report"}
    assert all(thread.startswith("worker") for _name, thread in calls), calls
    assert [i.kind for i in items] == ["photo", "overlay", "report"]
    assert queued_file(services, items[0].id)[128:132] == b"DICM"
    # the one-call path (sender, tests) gives the same instances: stable UIDs per record
    again = pacs.queue_analysis(dermatologist, done.analysis_id, [dest.id])
    assert [i.sop_instance_uid for i in again] == [i.sop_instance_uid for i in items]
