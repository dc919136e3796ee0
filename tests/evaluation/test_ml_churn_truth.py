"""The churn model against the simulator's truth on the tiny bank: the rule baseline below it,
the truth's own probability (the ceiling) above it. Figures: `pytest -s` prints them."""

from __future__ import annotations

import json

import duckdb
import pytest

from models_ml.config import ChurnConfig
from tests.evaluation.churn_truth import churn_figures

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]


@pytest.fixture(scope="module")
def figures(warehouse_bank):
    settings, result = warehouse_bank
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        figures = churn_figures(con, settings.truth_dir, ChurnConfig())
    print(json.dumps(figures, indent=1))
    return figures


def test_warehouse_labels_agree_with_what_truly_happened(figures):
    assert figures["label_agreement"] >= 0.97
    assert figures["truth_rows"] > 4000


def test_the_model_beats_the_rule_baseline_on_the_truth(figures):
    model, baseline = figures["truth_labels"]["model"], figures["truth_labels"]["baseline"]
    assert model["roc_auc"] >= baseline["roc_auc"] + 0.1
    assert model["top_decile_lift"] >= 1.1 * baseline["top_decile_lift"]  # the bar


def test_the_model_stays_within_reach_of_the_truth_ceiling(figures):
    """Tiny-bank bar: within 0.20 of the truth's AUC on the same clients and months (≈ 220
    churners; the issue's 0.03 on the default bank is not met, docs/ml.md)."""
    truth = figures["truth_labels"]
    assert truth["model"]["roc_auc"] >= truth["truth"]["roc_auc"] - 0.20


def test_the_model_is_calibrated(figures):
    assert figures["warehouse_labels"]["model"]["ece"] <= 0.02
    assert figures["truth_labels"]["model"]["ece"] <= 0.02
