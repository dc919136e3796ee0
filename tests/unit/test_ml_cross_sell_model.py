"""Cross-sell pieces on small synthetic data: who is at risk, the baseline, the gate, the
shared model per family and the ranked offers with their exclusions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from models_ml.churn import KEYS, fit_booster, matrix, split_parts, time_split
from models_ml.config import BoostingParams, CrossSellConfig
from models_ml.cross_sell import (
    at_risk,
    baseline_rates,
    baseline_score,
    fit_shared_booster,
    score,
    train,
)
from models_ml.score_reuse import SCORED_FROM

MONTH_ENDS = [dt.date(2026, m, 28) for m in range(1, 9)]
HOLDINGS = ("current_account", "savings", "demand_deposit", "term_deposit", "credit_card",
            "cash_loan", "mortgage", "car_loan", "brokerage", "insurance")  # fmt: skip
FAST = CrossSellConfig(
    min_positives=40,
    product_types={"credit_card": ("credit_card",), "deposit": ("savings", "term_deposit")},
    required_products=("credit_card", "deposit"),
    credit_products=("credit_card",),
    boosting=BoostingParams(max_iter=60, early_stopping=False),
)


def synthetic(clients: int = 1500, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Card openings driven by app logins, deposit openings by balances; 20 % hold each."""
    rng = np.random.default_rng(seed)
    n = clients * len(MONTH_ENDS)
    logins = rng.poisson(4, n).astype(float)
    balance = rng.exponential(100_000, n)
    frame = pl.DataFrame(
        {
            "golden_client_id": [f"GC{i % clients:010d}" for i in range(n)],
            "as_of_date": [d for d in MONTH_ENDS for _ in range(clients)],
            "age_years": rng.integers(18, 80, n),
            "products_held_count": rng.integers(1, 5, n),
            "login_count_month": logins,
            "balance_rub_month_end": balance,
            **{f"holds_{h}": rng.random(n) < 0.2 for h in HOLDINGS},
        }
    )
    card = rng.random(n) < 1 / (1 + np.exp(-(-4.5 + 0.4 * logins)))
    deposit = rng.random(n) < 1 / (1 + np.exp(-(-4.0 + 1.5 * balance / 100_000)))
    opened = pl.concat(
        [
            frame.filter(pl.Series(flags)).select("golden_client_id", "as_of_date")
            .with_columns(product=pl.lit(product))
            for product, flags in (("credit_card", card), ("deposit", deposit))
        ]
    )  # fmt: skip
    return frame, opened


def test_only_clients_not_holding_the_family_are_at_risk_for_it():
    frame, opened = synthetic(200)
    rows = at_risk(frame, opened, "deposit", FAST)
    assert (
        rows.height == frame.filter(~pl.col("holds_savings") & ~pl.col("holds_term_deposit")).height
    )
    assert not rows["holds_savings"].any() and not rows["holds_term_deposit"].any()
    assert rows["offer_deposit"].all() and not rows["offer_credit_card"].any()
    assert (
        rows["is_opened"].sum()
        == rows.join(
            opened.filter(pl.col("product") == "deposit"), on=["golden_client_id", "as_of_date"]
        ).height
    )


@pytest.mark.parametrize("cap", [10**9, 2000])
def test_the_shared_model_is_the_one_fitted_on_every_familys_stacked_rows(cap):
    """Stacking row positions and gathering the features of the rows fitted on (whole, or the
    weighted sample above ``cap``) gives exactly the model fitted on the fully stacked rows,
    family by family in the frame's order."""
    frame, opened = synthetic(600)
    config = FAST.model_copy(update={"max_training_rows": cap})
    split = time_split(frame["as_of_date"].to_list(), config)
    columns = [c for c in frame.columns if c not in KEYS] + [
        f"offer_{p}" for p in config.product_types
    ]
    stacked = pl.concat(at_risk(frame, opened, p, config) for p in config.product_types)
    full = split_parts(stacked, split)["train"]
    expected = fit_booster(full, "is_opened", columns, config)
    fitted = fit_shared_booster(frame, opened, split, columns, config)
    x = matrix(stacked, columns)
    assert np.array_equal(fitted.predict_proba(x), expected.predict_proba(x))


def test_the_model_learns_from_started_applications_but_is_judged_on_openings():
    """With applications, the shared booster is the one fitted on the at-risk rows labelled
    "opened or applied" (each key once, though most openings started an application too);
    the gate, calibration and judgement count openings alone."""
    frame, opened = synthetic(600)
    rng = np.random.default_rng(5)
    abandoned = frame.sample(fraction=0.05, seed=5).select(
        *KEYS, product=pl.Series(rng.choice(["credit_card", "deposit"], int(frame.height * 0.05)))
    )
    applied = pl.concat([opened.sample(fraction=0.9, seed=6), abandoned])
    end = MONTH_ENDS[-1] + dt.timedelta(days=FAST.horizon_days)
    trained = train(frame, opened, end, FAST, applied=applied)
    openings_only = train(frame, opened, end, FAST)

    split = time_split(frame["as_of_date"].to_list(), FAST)
    columns = trained.model.features
    labelled = pl.concat(
        at_risk(frame, opened, p, FAST).join(
            applied.filter(pl.col("product") == p).select(*KEYS, applied=pl.lit(True)).unique(),
            on=list(KEYS),
            how="left",
            maintain_order="left",
        )
        for p in FAST.product_types
    ).with_columns(wanted=pl.col("is_opened") | pl.col("applied").fill_null(False))
    expected = fit_booster(split_parts(labelled, split)["train"], "wanted", columns, FAST)
    x = matrix(labelled, columns)
    for product, result in trained.results.items():
        assert np.array_equal(result.model.booster.predict_proba(x), expected.predict_proba(x)), (
            product
        )
        alone = openings_only.results[product]
        assert result.training_positives == alone.training_positives, product
        assert result.validation["positives"] == alone.validation["positives"], product
        assert result.validation["roc_auc"] != alone.validation["roc_auc"], product


def test_the_baseline_is_the_training_rate_of_the_clients_cell():
    frame = pl.DataFrame(
        {"age_years": [20, 20, 20, 70, None], "products_held_count": [1, 1, 1, 5, 1],
         "y": [True, False, False, True, False]}
    )  # fmt: skip
    rates = baseline_rates(frame, "y", FAST)
    scores = baseline_score(
        pl.DataFrame({"age_years": [21, 79, 40], "products_held_count": [1, 3, 2]}), rates, FAST
    )
    assert scores == pytest.approx([1 / 3, 1.0, 2 / 5])  # 40/2 is unseen: the overall rate


def test_a_family_below_its_gate_is_registered_refused_and_not_offered():
    frame, opened = synthetic()
    end = MONTH_ENDS[-1] + dt.timedelta(days=FAST.horizon_days)
    passed = train(frame, opened, end, FAST)
    assert passed.gate_passed and passed.beats_baseline and passed.is_promotable
    assert set(passed.model.publishable) == {"credit_card", "deposit"}
    card = passed.results["credit_card"]
    assert card.validation["roc_auc"] > card.baseline["roc_auc"]
    strict = FAST.model_copy(update={"min_positives": card.training_positives + 1})
    refused = train(frame, opened, end, strict)
    assert not refused.results["credit_card"].gate_passed
    assert refused.results["credit_card"].model is None
    assert not refused.gate_passed
    assert "credit_card" not in refused.model.publishable


def test_offers_exclude_held_and_ineligible_and_rank_one_best_offer():
    frame, opened = synthetic()
    end = MONTH_ENDS[-1] + dt.timedelta(days=FAST.horizon_days)
    model = train(frame, opened, end, FAST).model
    latest = frame.filter(pl.col("as_of_date") == MONTH_ENDS[-1]).with_columns(
        pl.lit("build-1").alias(SCORED_FROM)
    )
    ids = latest["golden_client_id"]
    allowed = pl.DataFrame(
        {
            "golden_client_id": ids,
            "is_adult": [i % 10 != 1 for i in range(len(ids))],
            "has_overdue_debt": [i % 10 == 2 for i in range(len(ids))],
            "is_fz115_suspended": [i % 10 == 3 for i in range(len(ids))],
        }
    )
    offers, psi, explained = score(latest, allowed, model, "v1", FAST)
    joined = offers.join(latest, on="golden_client_id").join(allowed, on="golden_client_id")
    assert not joined.filter(
        (pl.col("product") == "credit_card") & pl.col("holds_credit_card")
    ).height
    assert not joined.filter(~pl.col("is_adult") | pl.col("is_fz115_suspended")).height
    assert not joined.filter(
        pl.col("has_overdue_debt") & (pl.col("product") == "credit_card")
    ).height
    assert joined.filter(pl.col("has_overdue_debt")).height > 0  # deposits still offered
    best = offers.filter(pl.col("offer_rank") == 1)
    assert (
        best["golden_client_id"].n_unique() == best.height == offers["golden_client_id"].n_unique()
    )
    top = offers.sort("expected_value_rub", descending=True).unique(
        "golden_client_id", keep="first"
    )
    assert (
        top.sort("golden_client_id")["product"].to_list()
        == best.sort("golden_client_id")["product"].to_list()
    )
    assert set(offers["decile"].unique()) == set(range(1, 11))
    assert offers["reasons"].n_unique() > 5
    assert {"score:credit_card", "score:deposit"} <= set(psi)
    assert explained == offers.height  # nothing stored: every row went through the trees


def test_offers_scored_again_keep_the_unchanged_rows_and_equal_a_full_scoring():
    """A second scoring takes the stored score and reasons of every row whose feature stamp is
    unchanged and sends only the others through the trees; the offers equal a full scoring."""
    frame, opened = synthetic()
    end = MONTH_ENDS[-1] + dt.timedelta(days=FAST.horizon_days)
    model = train(frame, opened, end, FAST).model
    latest = frame.filter(pl.col("as_of_date") == MONTH_ENDS[-1]).with_columns(
        pl.lit("build-1").alias(SCORED_FROM)
    )
    allowed = latest.select(
        "golden_client_id",
        is_adult=pl.lit(True),
        has_overdue_debt=pl.lit(False),
        is_fz115_suspended=pl.lit(False),
    )
    first, _, _ = score(latest, allowed, model, "v1", FAST)
    rewritten = latest["golden_client_id"][:7].to_list()
    latest = latest.with_columns(
        pl.when(pl.col("golden_client_id").is_in(rewritten))
        .then(pl.lit("build-2"))
        .otherwise(pl.col(SCORED_FROM))
        .alias(SCORED_FROM)
    )
    full, _, _ = score(latest, allowed, model, "v1", FAST)
    again, _, explained = score(
        latest, allowed, model, "v1", FAST,
        lambda product: first.filter(pl.col("product") == product),
    )  # fmt: skip
    assert again.equals(full)
    assert explained == full.filter(pl.col("golden_client_id").is_in(rewritten)).height > 0
