"""A scenario's settings reach every stage it runs: bank-tiny's training stages would otherwise
refuse its models at the production gate, and no stage after them could run."""

from __future__ import annotations

import pytest

from benchmarks import run
from cdp.settings import load_settings

pytestmark = pytest.mark.unit


def test_a_stage_runs_under_its_scenarios_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CDP_ML_MIN_POSITIVES", "500")
    monkeypatch.setitem(
        run.STAGES, "probe", lambda scenario, home: {"gate": load_settings().ml_min_positives}
    )
    result = run.run_stage("probe", "bank-tiny", tmp_path)
    assert result["gate"] == 200
