"""Churn model pieces on small synthetic data: split, metrics, PSI, gate, reasons, registry."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl
import pytest

from models_ml import registry
from models_ml.churn import (
    NO_REASON,
    REASON_GROUPS,
    split_parts,
    time_split,
    train,
    training_sample,
)
from models_ml.config import BoostingParams, ChurnConfig
from models_ml.labels import churn_labels, labelled_features
from models_ml.metrics import (
    expected_calibration_error,
    population_stability_index,
    top_decile,
)
from models_ml.pipeline import data_fingerprint, latest_rows

MONTH_ENDS = [dt.date(2026, m, 28) for m in range(1, 9)]
FAST = ChurnConfig(min_positives=50, boosting=BoostingParams(max_iter=60, early_stopping=False))


def synthetic(rows_per_month: int = 1500, seed: int = 1) -> pl.DataFrame:
    """Churn driven by transfers to other banks only; salary and tenure are noise."""
    rng = np.random.default_rng(seed)
    n = rows_per_month * len(MONTH_ENDS)
    transfers = rng.exponential(1.0, n) * (rng.random(n) < 0.3)
    churned = rng.random(n) < 1 / (1 + np.exp(-(-4.0 + 2.5 * transfers)))
    return pl.DataFrame(
        {
            "golden_client_id": [f"GC{i % rows_per_month:010d}" for i in range(n)],
            "as_of_date": [d for d in MONTH_ENDS for _ in range(rows_per_month)],
            "own_account_out_rub_3m": transfers * 100_000,
            "salary_rub_month": rng.normal(60_000, 10_000, n),
            "tenure_days": rng.integers(30, 5000, n),
            "days_since_last_activity": rng.integers(0, 120, n),
            "is_churned": churned,
            "is_complete": True,
        }
    )


def test_time_split_judges_only_dates_after_every_date_learnt_from():
    split = time_split(MONTH_ENDS, ChurnConfig(validation_months=3, calibration_months=1))
    assert split.train_dates == MONTH_ENDS[:4]
    assert split.calibration_dates == [MONTH_ENDS[4]]
    assert split.validation_dates == MONTH_ENDS[5:]
    assert max(split.train_dates) < min(split.calibration_dates) < min(split.validation_dates)


def test_time_split_refuses_too_few_dates():
    with pytest.raises(ValueError):
        time_split(MONTH_ENDS[:4], ChurnConfig(validation_months=3, calibration_months=1))


def test_top_decile_lift_and_capture():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 2)
    score = np.array([9, 8, 1, 1, 1, 1, 1, 1, 1, 1] * 2, dtype=float)
    lift, capture = top_decile(y, score)  # top 2 rows of 20: both churners
    assert lift == pytest.approx(1.0 / 0.2)
    assert capture == pytest.approx(0.5)


def test_calibration_error_is_zero_when_rates_match_and_large_when_not():
    y = np.array([0] * 90 + [1] * 10)
    assert expected_calibration_error(y, np.full(100, 0.1), bins=1) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(100, 0.6), bins=1) == pytest.approx(0.5)


def test_psi_is_near_zero_for_the_same_population_and_large_for_a_shifted_one():
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 20_000)
    assert population_stability_index(base, rng.normal(0, 1, 20_000)) < 0.01
    assert population_stability_index(base, rng.normal(1, 1, 20_000)) > 0.25
    with_nulls = np.where(rng.random(20_000) < 0.5, np.nan, base)
    assert population_stability_index(base, with_nulls) > 0.25


def test_the_gate_refuses_a_model_trained_on_too_few_churners():
    frame = synthetic()
    passed = train(frame, FAST)
    refused = train(frame, FAST.model_copy(update={"min_positives": passed.training_positives + 1}))
    assert passed.gate_passed and not refused.gate_passed


def test_the_model_beats_a_rule_that_reads_nothing_but_silence():
    result = train(synthetic().with_columns(days_since_last_activity=pl.lit(5)), FAST)
    assert result.validation["roc_auc"] > 0.7
    assert result.baseline["roc_auc"] == pytest.approx(0.5)
    assert result.beats_baseline


def test_predictions_in_batches_equal_one_prediction_of_the_whole_frame(monkeypatch):
    frame = synthetic()
    model = train(frame, FAST).model
    whole = model.predict(
        frame.select(pl.col(f).cast(pl.Float64) for f in model.features).to_numpy()
    )
    monkeypatch.setattr("models_ml.churn.PREDICTION_BATCH_ROWS", 1_000)  # not a divisor
    np.testing.assert_array_equal(model.predict_frame(frame, threads=2), whole)
    assert model.predict_frame(frame.head(0)).shape == (0,)


def test_predictions_are_what_the_calibrated_classifier_gives():
    frame = synthetic()
    model = train(frame, FAST).model
    x = frame.select(pl.col(f).cast(pl.Float64) for f in model.features).to_numpy()
    np.testing.assert_allclose(
        model.predict(x, threads=2), model.calibrated.predict_proba(x)[:, 1], atol=1e-12
    )
    # and the compiled log-odds it is calibrated on are scikit-learn's own
    np.testing.assert_allclose(
        model.calibrated.calibrated_classifiers_[0].estimator.decision_function(x),
        model.booster.decision_function(x),
        atol=1e-9,
    )


def test_reasons_name_the_feature_group_that_drives_the_score():
    frame = synthetic()
    model = train(frame, FAST).model
    x = frame.select(pl.col(f).cast(pl.Float64) for f in model.features).to_numpy()
    prob = model.predict(x)
    top = np.argsort(-prob)[:50]
    transfers = next(g for g in REASON_GROUPS if g.lead == "own_account_out_rub_3m")
    explained, reasons = model.explain(x[top], top=3)
    np.testing.assert_allclose(explained, prob[top], atol=1e-12)  # one pass, same probability
    assert all(r.split("; ")[0] == transfers.when_higher for r in reasons)
    quiet = np.flatnonzero(x[:, model.features.index("own_account_out_rub_3m")] == 0)[:50]
    _, quiet_reasons = model.explain(x[quiet], top=3)
    assert all(transfers.when_higher not in r for r in quiet_reasons)
    assert all(r for r in quiet_reasons)  # NO_REASON when nothing raises it
    assert NO_REASON not in reasons


def test_a_training_part_above_the_cap_is_sampled_and_weighted_back_to_its_size():
    y = np.zeros(10_000, dtype=bool)
    y[::50] = True  # 200 positives
    rows, weights = training_sample(y, cap=2_000, seed=1)
    assert len(rows) == 2_000 and np.all(np.diff(rows) > 0)
    assert y[rows].sum() == 200  # rare positives all kept
    assert weights[y[rows]].sum() == pytest.approx(200)
    assert weights[~y[rows]].sum() == pytest.approx(9_800)
    common = np.ones(10_000, dtype=bool)
    common[::2] = False
    rows, weights = training_sample(common, cap=2_000, seed=1)
    assert common[rows].sum() == 1_000  # positives at most half the cap
    assert weights.sum() == pytest.approx(10_000)
    rows, weights = training_sample(y, cap=10_000, seed=1)
    assert len(rows) == 10_000 and weights is None


def test_a_sampled_fit_ranks_as_well_as_the_full_one():
    frame = synthetic()
    full = train(frame, FAST)
    sampled = train(frame, FAST.model_copy(update={"max_training_rows": 2_000}))
    assert sampled.validation["roc_auc"] > full.validation["roc_auc"] - 0.03
    assert sampled.validation["ece"] <= 0.03


def test_registry_promotes_only_a_promotable_version_and_scoring_reads_the_pointer(tmp_path):
    meta = {"is_promotable": True, "metrics": {"validation": {"roc_auc": 0.8}}}
    registry.save(tmp_path, "churn", "v1", {"m": 1}, meta, "# v1")
    registry.save(tmp_path, "churn", "v2", {"m": 2}, meta | {"is_promotable": False}, "# v2")
    assert registry.promoted_version(tmp_path, "churn") is None
    registry.promote(tmp_path, "churn", "v1")
    with pytest.raises(ValueError):
        registry.promote(tmp_path, "churn", "v2")
    assert registry.promoted_version(tmp_path, "churn") == "v1"  # not the newest, v2
    assert registry.load(tmp_path, "churn", "v1") == {"m": 1}
    assert registry.versions(tmp_path, "churn") == ["v1", "v2"]


def test_labels_close_all_products_or_stop_activity_within_the_window():
    """A closes everything, B goes silent, C stays active, D was dormant already, E's window
    runs past the data."""
    con = duckdb.connect()
    con.execute("create schema marts; create schema ml")
    con.execute(
        "create table ml.ml_features__churn as select * from (values "
        "('A', date '2026-01-31', date '2026-01-30'), ('B', date '2026-01-31', date '2026-01-30'),"
        "('C', date '2026-01-31', date '2026-01-30'), ('D', date '2026-01-31', date '2025-10-01'),"
        "('C', date '2026-09-30', date '2026-09-30')"
        ") t(golden_client_id, as_of_date, last_activity_date)"
    )
    con.execute(
        "create table marts.fct_contracts as select * from (values "
        "('A', 'a1', 'retail', date '2020-01-01', date '2026-03-01'),"
        "('B', 'b1', 'retail', date '2020-01-01', null),"
        "('C', 'c1', 'retail', date '2020-01-01', null),"
        "('D', 'd1', 'retail', date '2020-01-01', null)"
        ") t(golden_client_id, contract_id, client_segment, start_date, closed_date)"
    )
    con.execute(
        "create table marts.fct_transactions as select * from (values "
        "('A', date '2026-04-20', 'interest'), ('B', date '2026-02-10', 'sbp_out'),"
        "('B', date '2026-04-20', 'fee'), ('C', date '2026-04-20', 'sbp_out'),"
        "('C', date '2026-10-31', 'sbp_out')"
        ") t(golden_client_id, posting_date, transaction_type)"
    )
    con.execute(
        "create table marts.fct_card_transactions (golden_client_id varchar, "
        "transaction_at timestamp, match_status varchar)"
    )
    con.execute(
        "create table marts.fct_interactions as select * from (values "
        "('B', date '2026-04-25', 'dbo_login', true)"
        ") t(golden_client_id, occurred_date, interaction_type, is_failed)"
    )
    labels = churn_labels(con, horizon_days=90, silence_days=45).sort(
        "golden_client_id", "as_of_date"
    )
    got = {(r["golden_client_id"], r["as_of_date"].month): r for r in labels.iter_rows(named=True)}
    assert got[("A", 1)]["has_closed_all_products"] and got[("A", 1)]["is_churned"]
    assert got[("B", 1)]["has_stopped_activity"] and not got[("B", 1)]["has_closed_all_products"]
    assert not got[("C", 1)]["is_churned"]
    assert not got[("D", 1)]["is_churned"]
    assert all(got[(k, 1)]["is_complete"] for k in "ABCD")
    assert not got[("C", 9)]["is_complete"]
    # the training frame: every feature row with its label, in as-of then client order
    frame = labelled_features(con, horizon_days=90, silence_days=45)
    assert frame.columns == ["golden_client_id", "as_of_date", "last_activity_date",
                             "is_churned", "is_complete"]  # fmt: skip
    assert frame.select("golden_client_id", "as_of_date").rows() == [
        ("A", dt.date(2026, 1, 31)), ("B", dt.date(2026, 1, 31)), ("C", dt.date(2026, 1, 31)),
        ("D", dt.date(2026, 1, 31)), ("C", dt.date(2026, 9, 30)),
    ]  # fmt: skip
    assert frame["is_churned"].to_list() == [
        got[(k, d.month)]["is_churned"]
        for k, d in frame.select("golden_client_id", "as_of_date").rows()
    ]


def test_the_latest_rows_come_in_key_order_whatever_the_storage_order():
    """Deciles break ties by position, so the rows must come in the same order every run."""
    con = duckdb.connect()
    con.execute(
        "create table f as select (i * 7919 % 1000)::varchar as k, "
        "date '2026-10-31' - (i % 2)::int as as_of_date, 'build-1' as _written_by "
        "from range(1000) t(i)"
    )
    latest = latest_rows(con, "f", "k")
    assert latest.height == 500
    assert latest["k"].to_list() == sorted(latest["k"].to_list())


def test_the_parts_of_a_split_are_the_same_whether_the_frame_is_in_period_order_or_not():
    dates = [dt.date(2026, m, 28) for m in range(1, 9)]
    frame = pl.DataFrame(
        {
            "golden_client_id": [f"GC{i:03d}" for i in range(80)],
            "as_of_date": [dates[i % 8] for i in range(80)],
            "is_complete": [i % 8 < 7 or i % 3 == 0 for i in range(80)],
        }
    )
    split = time_split(dates[:7], FAST)
    complete = pl.col("is_complete")
    by_period = split_parts(frame.sort("as_of_date", "golden_client_id"), split, where=complete)
    by_client = split_parts(frame.sort("golden_client_id"), split, where=complete)
    for name, part in by_period.items():
        dates_of_part = getattr(split, f"{name}_dates")
        expected = frame.filter(complete & pl.col("as_of_date").is_in(dates_of_part))
        assert part.sort("golden_client_id").equals(expected.sort("golden_client_id"))
        assert part.sort("golden_client_id").equals(by_client[name].sort("golden_client_id"))


def test_the_data_fingerprint_sees_the_same_change_in_two_rows_but_not_the_build_stamps():
    con = duckdb.connect()
    con.execute("create schema ml")
    con.execute(
        "create table ml.features as select * from (values ('c1', 30, 'r1'), ('c2', 30, 'r1')) "
        "as t (golden_client_id, age_years, _written_by)"
    )
    before = data_fingerprint(con, "ml.features")
    con.execute("update ml.features set _written_by = 'r2'")
    assert data_fingerprint(con, "ml.features") == before
    con.execute("update ml.features set age_years = 31")  # both clients a year older
    assert data_fingerprint(con, "ml.features") != before
