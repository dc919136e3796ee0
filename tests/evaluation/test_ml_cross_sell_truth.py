"""The cross-sell models against the simulator's truth on the tiny bank, per product family:
the rule baseline, and the truth's own probability (the ceiling). Figures: `pytest -s` prints
them (docs/ml.md, "Cross-sell and next best offer")."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest

from models_ml.config import CrossSellConfig
from tests.evaluation.churn_truth import golden_person
from tests.evaluation.cross_sell_truth import cross_sell_figures

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]

TINY_GATE = 30
"""As the integration test: every family but car loan (24 openings) is fitted on the tiny bank."""
CEILING_GAP = 0.20
"""Tiny-bank bar: model AUC within 0.20 of the truth's, per family offered and not below 0.5.
The issue's bar, within 0.05 on the default bank, is NOT met (docs/ml.md): the tiny bank's
validation holds 25–200 openings per family, an AUC standard error of ≈ 0.02–0.06."""


@pytest.fixture(scope="module")
def figures(warehouse_bank):
    settings, result = warehouse_bank
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        figures = cross_sell_figures(
            con, settings.truth_dir, CrossSellConfig(min_positives=TINY_GATE)
        )
    table = [
        f"{p:12s} openings {f['training_positives']:4d}"
        + (
            f"  val+ {f['model']['positives']:4d}  AUC model {f['model']['roc_auc']:.3f} "
            f"baseline {f['baseline']['roc_auc']:.3f} truth {f['truth']['roc_auc']:.3f} "
            f"truth seen by the features {f['truth_seen_by_features']['roc_auc']:.3f}"
            if "model" in f
            else "  refused by the gate"
        )
        for p, f in figures["products"].items()
    ]
    print("\n".join(table))
    print(json.dumps(figures, indent=1))
    return figures


def fitted(figures) -> dict:
    return {p: f for p, f in figures["products"].items() if "model" in f}


def test_every_required_family_is_fitted_and_judged_on_its_openings(figures):
    products = fitted(figures)
    assert set(CrossSellConfig().required_products) <= set(products)
    for product, f in products.items():
        assert f["model"]["positives"] >= 20, product
        assert f["truth"]["rows"] == f["model"]["rows"], product


def test_the_truth_ranks_the_openings_it_generated(figures):
    """The truth's probability is a real ceiling: it ranks who opened above who did not."""
    for product, f in fitted(figures).items():
        assert f["truth"]["roc_auc"] >= 0.55, product


def test_families_offered_stay_within_reach_of_the_truth_ceiling(figures):
    for product, f in fitted(figures).items():
        if f["model"]["roc_auc"] > f["baseline"]["roc_auc"]:  # offered (beats its baseline)
            assert f["model"]["roc_auc"] >= max(0.5, f["truth"]["roc_auc"] - CEILING_GAP), product


def test_the_model_is_calibrated(figures):
    for product, f in fitted(figures).items():
        assert f["model"]["ece"] <= 0.02, product


def test_the_typical_transfer_traces_the_income_that_money_in_blurs(warehouse_bank):
    """`personal_transfer_typical_rub_3m` (docs/ml.md, "Income traces") ranks the clients' true
    incomes, those paid their salary elsewhere too, far better than their money in does — the
    reason it is a feature (bank-100k: Spearman 0.85 against 0.51)."""
    settings, _ = warehouse_bank
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        persons = golden_person(con, settings.truth_dir)
        features = con.execute(
            "select golden_client_id, inflow_rub_previous_3_avg, personal_transfer_typical_rub_3m "
            "from ml.ml_features__churn "
            "where as_of_date = (select max(as_of_date) from ml.ml_features__churn)"
        ).pl()
    incomes = pl.read_parquet(
        settings.truth_dir / "persons.parquet", columns=["person_id", "income_rub"]
    )
    rows = features.join(persons, on="golden_client_id").join(incomes, on="person_id")
    rank = {
        column: rows.select(pl.corr(column, "income_rub", method="spearman")).item()
        for column in ("inflow_rub_previous_3_avg", "personal_transfer_typical_rub_3m")
    }
    print(rank)
    assert rows.height >= 1_000
    assert rank["personal_transfer_typical_rub_3m"] >= 0.7
    assert rank["personal_transfer_typical_rub_3m"] >= rank["inflow_rub_previous_3_avg"] + 0.2
