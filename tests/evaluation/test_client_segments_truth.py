"""Client 360 and segments against the simulator's truth about each person: income, churn and
digital affinity. The truth is read here only, never by the models."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.evaluation

MIN_INCOME_SPEARMAN = 0.95
"""Salary clients' estimated income against the true income; measured 0.9999 on a 3,000-person
bank (seed 42): the simulated salary is the person's income, so only the median rule errs."""
MIN_OLD_CHURNERS_OUT = 0.90
"""Persons who left 90+ days before the business date, share dormant or closed; measured 0.97
(the rest left a product open and still has automatic-looking client operations)."""
MIN_CHURNERS_OUT = 0.75
"""All persons the truth marks churned, share dormant or closed; measured 0.86 (a recent
leaver operated within the last 90 days, so stays active by definition)."""
MAX_STAYERS_OUT = 0.02
"""Persons who never churned, share dormant or closed; measured 0.003."""


@pytest.fixture(scope="module")
def clients(warehouse_bank):
    """mart_client_360 joined to the truth person of each golden client's АБС records."""
    settings, _ = warehouse_bank
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        mart = con.sql(
            "select x.source_record_id as abs_client_id, c.golden_client_id, c.as_of_date, "
            "c.estimated_monthly_income_rub, c.is_salary_client, c.lifecycle_stage, "
            "c.digital_engagement from marts.mart_client_360 as c "
            "join marts.dim_client_crosswalk as x using (golden_client_id) "
            "where x.source = 'abs' and c.client_type <> 'ЮЛ'"
        ).pl()
    persons = pl.read_parquet(
        settings.truth_dir / "persons.parquet",
        columns=["abs_client_id", "income_rub", "churn_date", "digital"],
    )
    # A golden client may hold duplicate АБС records of one person: one row per client.
    return mart.join(persons, on="abs_client_id").unique("golden_client_id", keep="first")


def test_estimated_income_ranks_salary_clients_like_their_true_income(clients):
    salaried = clients.filter(pl.col("is_salary_client"))
    assert salaried.height > 300
    rho = salaried.select(
        pl.corr(
            pl.col("estimated_monthly_income_rub").cast(pl.Float64),
            "income_rub",
            method="spearman",
        )
    ).item()
    print(f"\nSpearman(estimated income, true income) = {rho:.4f} over {salaried.height}")
    assert rho >= MIN_INCOME_SPEARMAN


def test_clients_the_truth_says_churned_are_dormant_or_closed(clients):
    as_of = clients["as_of_date"].max()
    out = pl.col("lifecycle_stage").is_in(["dormant", "closed"])
    churned = clients.filter(pl.col("churn_date").is_not_null())
    old = churned.filter(pl.col("churn_date") <= as_of - dt.timedelta(days=90))
    stayers = clients.filter(pl.col("churn_date").is_null())
    shares = {
        "churned": churned.select(out.mean()).item(),
        "churned_90d_ago": old.select(out.mean()).item(),
        "stayers": stayers.select(out.mean()).item(),
    }
    print(f"\nshare dormant or closed: {shares} ({churned.height} churned, {old.height} old)")
    assert churned.height > 100 and old.height > 50
    assert shares["churned"] >= MIN_CHURNERS_OUT
    assert shares["churned_90d_ago"] >= MIN_OLD_CHURNERS_OUT
    assert shares["stayers"] <= MAX_STAYERS_OUT


def test_digital_engagement_orders_clients_by_true_digital_affinity(clients):
    affinity = dict(
        clients.group_by("digital_engagement").agg(pl.col("digital").mean()).iter_rows()
    )
    print(f"\nmean true digital affinity per segment: {affinity}")
    assert affinity["offline"] < affinity["digital_occasional"] < affinity["digital_active"]
