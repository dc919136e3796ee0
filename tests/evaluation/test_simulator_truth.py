"""The simulator's behaviour against its own truth: churn level, learnability, precursors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from simulator.evaluation import churn_truth_report
from tests.landing_files import all_files, read_abs_csv

pytestmark = pytest.mark.evaluation


@pytest.fixture(scope="module")
def truth(tiny_bank):
    settings, _ = tiny_bank
    root = settings.truth_dir
    return {
        "persons": pl.read_parquet(root / "persons.parquet"),
        "churn": pl.read_parquet(root / "churn_monthly/*.parquet"),
    }


@pytest.fixture(scope="module")
def report(tiny_bank):
    return churn_truth_report(tiny_bank[0].truth_dir)


def test_annual_retail_churn_is_between_10_and_20_percent(report):
    assert 0.10 <= report.annual_churn_rate <= 0.20, report


def test_true_churn_probability_is_learnable_not_trivial(report):
    print(f"truth churn AUC {report.truth_auc_90d:.3f} over {report.client_months} client-months")
    assert 0.75 <= report.truth_auc_90d <= 0.92


def test_the_ceiling_rests_on_dissatisfaction_the_extracts_barely_show(report):
    """Knowing every leaver who shows precursors and every trait, but not the AR(1)
    dissatisfaction, ranks clients well below the truth: the part of the ceiling no model of
    the extracts can reach (docs/ml.md, "Evaluation")."""
    print(f"truth AUC {report.truth_auc_90d:.3f}, without dissatisfaction "
          f"{report.auc_without_dissatisfaction:.3f}")  # fmt: skip
    assert report.auc_without_dissatisfaction <= report.truth_auc_90d - 0.05


def test_true_probability_is_calibrated(report):
    gap = abs(report.mean_predicted_90d - report.observed_rate_90d)
    assert gap / report.observed_rate_90d < 0.35, report


def test_me2me_transfers_precede_churn_but_not_always(tiny_bank, truth):
    """Before they leave, leavers move money to their own accounts at other banks more often
    than others do; some never do. (The payout on the closing day itself is not a precursor.)"""
    settings, _ = tiny_bank
    accounts = pl.concat(
        [read_abs_csv(p) for p in all_files(settings.landing_dir, "abs", "ACCOUNTS")]
    )
    owner = accounts.select(
        pl.col("НОМЕР_СЧЕТА").alias("account"), pl.col("КОД_КЛИЕНТА").alias("abs_client_id")
    ).unique("account")
    me2me = []
    for path in all_files(settings.landing_dir, "abs", "TRANSACTIONS"):
        rows = read_abs_csv(path)
        me2me.append(
            rows.filter(
                pl.col("НАЗНАЧЕНИЕ_ПЛАТЕЖА").str.contains("собственных|своими счетами|Me2Me")
            ).select(
                pl.col("СЧЕТ_ДТ").alias("account"),
                pl.col("ДАТА_ДОК").str.to_date("%d.%m.%Y").alias("day"),
            )
        )
    counts = (
        pl.concat(me2me)
        .join(owner, on="account")
        .join(
            truth["persons"].select("abs_client_id", "person_id", "churn_date"),
            on="abs_client_id",
        )
        .filter(pl.col("churn_date").is_null() | (pl.col("day") < pl.col("churn_date")))
        .group_by("person_id")
        .len()
    )
    persons = (
        truth["persons"]
        .join(counts, on="person_id", how="left")
        .with_columns(pl.col("len").fill_null(0))
    )
    leavers = persons.filter(pl.col("churn_date").is_not_null())
    stayers = persons.filter(pl.col("churn_date").is_null())
    assert leavers["len"].mean() > 2 * stayers["len"].mean()
    assert (leavers["len"] == 0).mean() > 0.05
    assert (stayers["len"] > 0).mean() > 0.05
    assert np.isfinite(leavers["len"].mean())
