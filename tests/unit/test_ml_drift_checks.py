"""Drift checks: PSI above 0.1 warns, above 0.25 fails with ERROR."""

from __future__ import annotations

import dagster as dg
import pytest

from models_ml.config import ChurnConfig
from orchestration.defs.ml import psi_result


@pytest.mark.parametrize(
    ("worst", "passed", "severity"),
    [
        (0.05, True, dg.AssetCheckSeverity.WARN),
        (0.15, False, dg.AssetCheckSeverity.WARN),
        (0.30, False, dg.AssetCheckSeverity.ERROR),
    ],
)
def test_psi_thresholds_set_pass_and_severity(worst, passed, severity):
    result = psi_result("check", {"a": 0.01, "b": worst}, ChurnConfig())
    assert result.passed is passed
    assert result.severity == severity
    assert result.metadata["max_psi"].value == worst
