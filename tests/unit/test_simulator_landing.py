from __future__ import annotations

import datetime as dt
import threading

import polars as pl
import pytest

from simulator.extracts.abs_files import CLIENTS
from simulator.extracts.landing import DeliveryPlan, LandingWriter

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 10, 1)


def _writer(tmp_path, monkeypatch, write_now) -> LandingWriter:
    monkeypatch.setattr(LandingWriter, "_write_now", write_now)
    return LandingWriter(tmp_path, DAY, DAY, DeliveryPlan([]))


def test_one_frame_waits_behind_the_one_being_written_and_a_third_blocks(tmp_path, monkeypatch):
    release, written = threading.Event(), []

    def slow_write(self, ft, frame):
        release.wait(10)
        written.append(frame.height)

    writer = _writer(tmp_path, monkeypatch, slow_write)
    writer.write(CLIENTS, pl.DataFrame({"x": [1]}))  # taken by the writer thread
    second = threading.Thread(target=writer.write, args=(CLIENTS, pl.DataFrame({"x": [1, 2]})))
    second.start()
    second.join(5)
    assert not second.is_alive()  # queued behind the first without waiting for it
    third = threading.Thread(target=writer.write, args=(CLIENTS, pl.DataFrame({"x": [1, 2, 3]})))
    third.start()
    third.join(0.5)
    assert third.is_alive()  # blocked: two frames are held already
    release.set()
    third.join(10)
    writer._wait()
    writer.close()
    assert written == [1, 2, 3]


def test_a_failed_write_is_raised_in_the_callers_thread(tmp_path, monkeypatch):
    def failing_write(self, ft, frame):
        raise OSError("disk full")

    writer = _writer(tmp_path, monkeypatch, failing_write)
    writer.write(CLIENTS, pl.DataFrame({"x": [1]}))
    with pytest.raises(OSError, match="disk full"):
        writer.finalize()
    writer.close()
