"""The lead priority model against the simulator's truth on the tiny bank, per product: the
rule baseline and the truth's own probability beside it. Figures: `pytest -s` prints them."""

from __future__ import annotations

import json

import duckdb
import pytest

from models_ml.config import LeadPriorityConfig
from tests.evaluation.lead_truth import lead_figures

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]


@pytest.fixture(scope="module")
def figures(warehouse_bank):
    settings, result = warehouse_bank
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        figures = lead_figures(con, settings.truth_dir, LeadPriorityConfig())
    print(json.dumps(figures, indent=1))
    print("product: rows, converted | ROC AUC model / baseline / truth")
    for product, f in figures["per_product"].items():
        aucs = " / ".join(
            "—" if f[k] is None else f"{f[k]['roc_auc']:.3f}"
            for k in ("model", "baseline", "truth")
        )
        print(f"{product}: {f['rows']}, {f['converted_rows']} | {aucs}")
    return figures


def test_warehouse_labels_agree_with_what_truly_happened(figures):
    assert figures["label_agreement"] >= 0.97
    assert figures["application_rows"] > 1000


def test_the_model_is_within_005_of_the_truth_per_product(figures):
    """The issue's bar, on every product with at least 10 converted and 10 unconverted rows.
    The truth's probability is the one at the application's start: on snapshots of open leads
    it is a reference, not a ceiling (docs/ml.md#lead-priority)."""
    judged = {p: f for p, f in figures["per_product"].items() if f["truth"] is not None}
    assert len(judged) >= 5
    for product, f in judged.items():
        assert f["model"]["roc_auc"] >= f["truth"]["roc_auc"] - 0.05, product


def test_the_model_beats_the_rule_baseline_on_the_truth(figures):
    model, baseline = figures["applications"]["model"], figures["applications"]["baseline"]
    assert model["roc_auc"] > baseline["roc_auc"]
    assert model["pr_auc"] > baseline["pr_auc"]


def test_the_model_is_calibrated(figures):
    assert figures["warehouse_labels"]["model"]["ece"] <= 0.02
    assert figures["applications"]["model"]["ece"] <= 0.02


def test_open_offers_rank_as_what_truly_happened_to_them(figures):
    """No offer still open at a day's end truly ended in an issued product on the tiny bank
    (an offer that converts is applied on in the session that shows it): the model keeps them
    near zero."""
    assert figures["offer_rows"] > 1000
    assert figures["offer_max_score"] <= 0.02
    assert figures["offer_rows_truly_issued"] <= 0.001 * figures["offer_rows"]
