"""The churn stage on the tiny bank: features are point-in-time, the model trains, registers and
is promoted, scores cover every client, and a refused model does not replace the promoted one."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from models_ml import registry
from tests.conftest import read_only
from tests.integration.ml_point_in_time import (
    CORE_CUTS,
    MOSCOW_DATE,
    SOLE_PROPRIETOR_CUTS,
    compare_up_to,
    rebuilt_after_cut,
)

pytestmark = pytest.mark.integration

TINY_GATE = 200
"""The tiny bank's training window holds ≈ 650 churners (≥ 500 passes too, but a test gate
well below it keeps the test about the mechanism, not the simulator's churn rate)."""
CUTOFF = dt.date(2026, 6, 20)
"""Mid-month: the cut copy's data ends inside June, whose month end is not an as-of date yet."""
FEATURE_TABLES = ("ml_features__churn", "ml_features__cross_sell")


@pytest.fixture(scope="module")
def churn_run(warehouse_bank):
    from orchestration.definitions import build_definitions

    settings, _ = warehouse_bank
    settings = settings.model_copy(update={"ml_min_positives": TINY_GATE})
    result = (
        build_definitions(settings)
        .resolve_job_def("train_models_job")
        .execute_in_process(raise_on_error=False)
    )
    return settings, result


def test_the_model_is_registered_promoted_and_scores_every_client(churn_run):
    settings, result = churn_run
    assert result.success
    version = registry.promoted_version(settings.models_dir, "churn")
    assert version is not None
    folder = settings.models_dir / "churn" / version
    assert {p.name for p in folder.iterdir()} >= {"model.joblib", "metadata.json", "model_card.md"}
    meta = registry.metadata(settings.models_dir, "churn", version)
    assert meta["gate_passed"] and meta["beats_baseline"] and meta["features"]
    assert meta["training_window"]["validation_dates"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        [rows, clients, deciles, low, high, versions, empty] = con.execute(
            "select count(*), count(distinct golden_client_id), count(distinct decile), "
            "min(score), max(score), count(distinct model_version), "
            "count(*) filter (where reasons is null or reasons = '') from ml.ml_scores__churn"
        ).fetchone()
        [latest] = con.execute(
            "select count(*) from ml.ml_features__churn "
            "where as_of_date = (select max(as_of_date) from ml.ml_features__churn)"
        ).fetchone()
        [scored_version] = con.execute(
            "select any_value(model_version) from ml.ml_scores__churn"
        ).fetchone()
    assert rows == clients == latest > 2000
    assert deciles == 10 and 0 <= low <= high <= 1
    assert versions == 1 and scored_version == version
    assert empty == 0


def test_scoring_again_keeps_every_score_whose_feature_row_is_unchanged(churn_run):
    """A second scoring with the same promoted versions over the same feature rows sends no row
    through the trees and writes the same tables (docs/ml.md, "Scores")."""
    from orchestration.definitions import build_definitions

    settings, _ = churn_run
    tables = ("ml.ml_scores__churn", "ml.ml_scores__cross_sell")
    with read_only(settings.warehouse_path) as con:
        before = {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}
    result = (
        build_definitions(settings)
        .resolve_job_def("score_clients_job")
        .execute_in_process(raise_on_error=False)
    )
    assert result.success
    explained = {
        e.asset_key.path[-1]: e.materialization.metadata["rows_explained"].value
        for e in result.get_asset_materialization_events()
    }
    assert explained["ml_scores__churn"] == explained["ml_scores__cross_sell"] == 0
    assert explained["ml_scores__lead_priority"] > 0  # a lead's row is new every day
    with read_only(settings.warehouse_path) as con:
        after = {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}
    assert all(before[t] == after[t] and before[t] for t in tables)


def test_a_refused_model_is_registered_but_scores_stay_on_the_promoted_version(churn_run):
    from orchestration.definitions import build_definitions

    settings, _ = churn_run
    promoted = registry.promoted_version(settings.models_dir, "churn")
    strict = settings.model_copy(update={"ml_min_positives": 10**6})
    result = (
        build_definitions(strict)
        .resolve_job_def("train_models_job")
        .execute_in_process(raise_on_error=False)
    )
    checks = {
        e.event_specific_data.check_name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["churn_model_was_trained_on_enough_churners"] is False
    assert not result.success  # a failed blocking check fails the model's step
    scored = [
        e.asset_key
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["ml", "ml_scores__churn"])
    ]
    assert scored == []  # the blocking check stopped the scores
    assert len(registry.versions(settings.models_dir, "churn")) >= 2
    assert registry.promoted_version(settings.models_dir, "churn") == promoted


def test_no_feature_uses_data_after_its_as_of_date(warehouse_bank, tmp_path):
    """Features rebuilt on a copy of the warehouse cut at CUTOFF equal the full build's rows
    for every as-of date up to CUTOFF, and the cut copy's latest as-of date is the last month
    end it holds whole. The cut also takes back the ИП registrations after CUTOFF: a person
    who becomes a sole proprietor later is none in the earlier features."""
    settings, _ = warehouse_bank
    copy = rebuilt_after_cut(
        settings.warehouse_path,
        tmp_path,
        CUTOFF,
        (
            *CORE_CUTS,
            f"delete from raw.dbo__events where {MOSCOW_DATE.format('event_at')} > $cutoff",
            *SOLE_PROPRIETOR_CUTS,
        ),
        ("ml_features__client_months", *FEATURE_TABLES),
    )
    with duckdb.connect(str(copy), read_only=True) as con:
        con.execute(f"attach '{settings.warehouse_path}' as full_build (read_only)")
        [registered_later] = con.execute(
            "select count(*) from ml.ml_features__cross_sell as cut "
            "inner join full_build.marts.dim_clients as clients using (golden_client_id) "
            "where clients.client_type = 'ИП' and not cut.is_sole_proprietor "
            "and cut.as_of_date = (select max(as_of_date) from ml.ml_features__cross_sell)"
        ).fetchone()
    assert registered_later > 0  # the cut takes back some ИП registration
    for table in FEATURE_TABLES:
        rows, only_full, only_cut = compare_up_to(
            copy, settings.warehouse_path, f"ml.{table}", CUTOFF
        )
        assert rows > 10_000, table
        assert only_full == only_cut == 0, table
    with duckdb.connect(str(copy), read_only=True) as con:
        for table in FEATURE_TABLES:
            # a month still running is no as-of date: its counts would be a part of a month's
            [latest] = con.execute(f"select max(as_of_date) from ml.{table}").fetchone()
            assert latest == dt.date(2026, 5, 31), table
