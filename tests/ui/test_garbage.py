"""Cycles are collected on the main thread only (dermstation/ui/garbage.py)."""

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from dermstation.ui.garbage import MainThreadCollector, collect_due


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def _cycle() -> weakref.ref:
    return weakref.ref(_Node())


def test_a_cycle_made_on_a_worker_thread_is_freed_by_the_main_thread_collector(qtbot) -> None:
    owner = QObject()
    old = gc.get_threshold()
    was_enabled = gc.isenabled()
    try:
        gc.enable()  # (the UI fixtures switch it off for every test)
        MainThreadCollector(owner, interval_ms=10)
        assert not gc.isenabled()
        gc.set_threshold(1, 1, 1)
        refs: list[weakref.ref] = []
        worker = threading.Thread(target=lambda: refs.extend(_cycle() for _ in range(50)))
        worker.start()
        worker.join()
        assert any(r() is not None for r in refs)  # the worker thread collected nothing
        qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=2000)
    finally:
        owner.deleteLater()
        gc.set_threshold(*old)
        if was_enabled:
            gc.enable()


def test_collect_due_follows_the_thresholds() -> None:
    old = gc.get_threshold()
    try:
        gc.collect()
        gc.set_threshold(10_000_000, 10, 10)
        ref = _cycle()
        assert collect_due() == 0 and ref() is not None  # below the threshold: nothing collected
        gc.set_threshold(1, 10, 10)
        _cycle()
        collect_due()
        assert ref() is None
    finally:
        gc.set_threshold(*old)
