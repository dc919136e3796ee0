"""The cross-sell stage on the tiny bank: the model version is registered and promoted, the
offers leave out held products and ineligible clients, rank one next best offer per client,
carry deciles and row-specific reasons; a version with nothing to offer is refused."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from models_ml import registry
from models_ml.config import CrossSellConfig
from orchestration.defs import cross_sell
from orchestration.resources import settings_resource

pytestmark = pytest.mark.integration

TINY_GATE = 30
"""The tiny bank's training window holds 24 (car loan) … 380 (deposit) openings per family: a
low test gate keeps the test about the mechanism, not the simulator's sales rates."""


def run_cross_sell(settings):
    return dg.materialize(
        [cross_sell.cross_sell_model, cross_sell.cross_sell_scores],
        resources={"settings": settings_resource(settings)},
        raise_on_error=False,
    )


def check_results(result) -> dict[str, tuple[bool, str]]:
    return {
        e.event_specific_data.check_name: (
            e.event_specific_data.passed,
            e.event_specific_data.severity.value,
        )
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


@pytest.fixture(scope="module")
def cross_sell_run(warehouse_bank):
    settings, _ = warehouse_bank
    settings = settings.model_copy(update={"ml_cross_sell_min_positives": TINY_GATE})
    return settings, run_cross_sell(settings)


@pytest.fixture
def scores(cross_sell_run):
    settings, _ = cross_sell_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield con


def test_the_version_is_registered_promoted_and_offers_only_products_that_passed(cross_sell_run):
    settings, result = cross_sell_run
    assert result.success
    version = registry.promoted_version(settings.models_dir, "cross_sell")
    assert version is not None
    folder = settings.models_dir / "cross_sell" / version
    assert {p.name for p in folder.iterdir()} >= {"model.joblib", "metadata.json", "model_card.md"}
    meta = registry.metadata(settings.models_dir, "cross_sell", version)
    assert set(meta["products"]) >= set(CrossSellConfig().required_products)
    offered = set(meta["publishable_products"])
    assert offered
    for product in offered:
        figures = meta["products"][product]
        assert figures["gate_passed"] and figures["beats_baseline"]
        assert figures["validation"]["roc_auc"] > figures["baseline"]["roc_auc"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        scored = {
            p
            for (p,) in con.execute(
                "select distinct product from ml.ml_scores__cross_sell"
            ).fetchall()
        }
        [versions] = con.execute(
            "select list(distinct model_version) from ml.ml_scores__cross_sell"
        ).fetchone()
    assert scored == offered
    assert versions == [version]


def test_offers_leave_out_products_the_client_holds(scores):
    families = CrossSellConfig().product_types
    held = " or ".join(
        f"(s.product = '{p}' and ({' or '.join(f'f.holds_{t}' for t in types)}))"
        for p, types in families.items()
    )  # config constants, not user data
    [rows, held_rows] = scores.execute(
        "select count(*), count(*) filter (where " + held + ") "
        "from ml.ml_scores__cross_sell as s join ml.ml_features__cross_sell as f "
        "using (golden_client_id, as_of_date)"
    ).fetchone()
    assert rows > 2000
    assert held_rows == 0


def test_each_client_has_exactly_one_next_best_offer_ranked_by_expected_value(scores):
    [clients, firsts, gaps, misordered] = scores.execute(
        """
        with ranked as (
            select *, row_number() over (
                partition by golden_client_id order by expected_value_rub desc, product
            ) as expected_rank, count(*) over (partition by golden_client_id) as offers
            from ml.ml_scores__cross_sell
        )
        select count(distinct golden_client_id), count(*) filter (where offer_rank = 1),
            count(*) filter (where offer_rank > offers),
            count(*) filter (where offer_rank != expected_rank)
        from ranked
        """
    ).fetchone()
    assert clients > 1000
    assert firsts == clients
    assert gaps == 0 and misordered == 0


def test_scores_are_probabilities_with_deciles_and_values_per_product(scores):
    values = CrossSellConfig().product_value_rub
    for product, deciles, low, high, score, value in scores.execute(
        "select product, count(distinct decile), min(score), max(score), "
        "arg_max(score, score), arg_max(expected_value_rub, score) "
        "from ml.ml_scores__cross_sell group by product"
    ).fetchall():
        assert deciles == 10, product
        assert 0 <= low <= high <= 1, product
        assert float(value) == pytest.approx(score * values[product], abs=0.01), product


def test_reasons_are_present_and_differ_between_clients(scores):
    for product, rows, empty, distinct in scores.execute(
        "select product, count(*), count(*) filter (where reasons is null or reasons = ''), "
        "count(distinct reasons) from ml.ml_scores__cross_sell group by product"
    ).fetchall():
        assert empty == 0, product
        assert distinct >= min(20, rows // 10), product  # computed per row, not per decile


def test_ineligible_clients_get_no_offer(scores):
    config = CrossSellConfig()
    [minors, overdue_credit] = scores.execute(
        """
        select
            count(*) filter (where coalesce(f.age_years < $min_age, true)),
            count(*) filter (
                where s.product in (select unnest($credit)) and s.golden_client_id in (
                    select golden_client_id from marts.fct_contracts
                    where client_segment = 'retail' and is_open and days_past_due > 0
                )
            )
        from ml.ml_scores__cross_sell as s
        join ml.ml_features__cross_sell as f using (golden_client_id, as_of_date)
        """,
        {"min_age": config.min_age_years, "credit": list(config.credit_products)},
    ).fetchone()
    assert minors == 0
    assert overdue_credit == 0


def test_a_version_with_nothing_to_offer_is_registered_but_scores_stay(cross_sell_run):
    settings, _ = cross_sell_run
    promoted = registry.promoted_version(settings.models_dir, "cross_sell")
    strict = settings.model_copy(update={"ml_cross_sell_min_positives": 10**6})
    result = run_cross_sell(strict)
    checks = check_results(result)
    assert checks[cross_sell.GATE_CHECK] == (False, "ERROR")
    assert not result.success  # a blocking check failing with ERROR stops the scores
    assert [
        e.asset_key
        for e in result.get_asset_materialization_events()
        if e.asset_key == cross_sell.SCORES
    ] == []
    assert len(registry.versions(settings.models_dir, "cross_sell")) >= 2
    assert registry.promoted_version(settings.models_dir, "cross_sell") == promoted
