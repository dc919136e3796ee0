"""The simulator's own process: same files as in-process, failures surface with their cause."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from simulator import SimulationParams, simulate
from simulator.process import simulate_in_process

pytestmark = pytest.mark.integration

PARAMS = SimulationParams(
    persons=300, months=4, seed=3, business_date=dt.date(2026, 10, 31), delta_days=3
)


def _digest(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_child_process_writes_the_same_bytes(tmp_path):
    summary = simulate_in_process(PARAMS, tmp_path / "a" / "landing", tmp_path / "a" / "truth")
    simulate(PARAMS, tmp_path / "b" / "landing", tmp_path / "b" / "truth")
    assert summary.rows > 0 and summary.landing_dir == tmp_path / "a" / "landing"
    assert _digest(tmp_path / "a" / "landing") == _digest(tmp_path / "b" / "landing")


def test_failure_in_the_child_is_reported(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(RuntimeError, match="simulation failed"):
        simulate_in_process(PARAMS, blocker / "landing", tmp_path / "truth")
