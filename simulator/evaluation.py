"""Figures about a simulated bank measured against its own ground truth.

Evaluation code only (tests, benchmarks): it reads the truth folder, which pipeline code never
does. The churn figures say how learnable the simulated churn is — the ceiling any model built
on the landing files can hope to reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sklearn.metrics import roc_auc_score

HORIZON_DAYS = 90


@dataclass(frozen=True)
class ChurnTruthReport:
    annual_churn_rate: float
    """Share of clients at the first month start who churned within the next 365 days."""
    truth_auc_90d: float
    """ROC AUC of the true 90-day churn probability against what happened."""
    mean_predicted_90d: float
    observed_rate_90d: float
    client_months: int


def churn_labels(truth_dir: Path) -> pl.DataFrame:
    """Every (client, month start) whose 90-day window is complete, with the true probability
    and whether the client actually churned in that window."""
    churn = pl.read_parquet(truth_dir / "churn_monthly" / "*.parquet")
    persons = pl.read_parquet(truth_dir / "persons.parquet", columns=["person_id", "churn_date"])
    last = churn["as_of_date"].max()
    window_end = pl.col("as_of_date") + pl.duration(days=HORIZON_DAYS)
    return (
        churn.join(persons, on="person_id")
        .filter(pl.col("as_of_date") <= last - pl.duration(days=HORIZON_DAYS))
        .with_columns(
            ((pl.col("churn_date") >= pl.col("as_of_date")) & (pl.col("churn_date") < window_end))
            .fill_null(False)
            .alias("churned_90d")
        )
    )


def churn_truth_report(truth_dir: Path) -> ChurnTruthReport:
    labels = churn_labels(truth_dir)
    churn = pl.read_parquet(
        truth_dir / "churn_monthly" / "*.parquet", columns=["person_id", "as_of_date"]
    )
    persons = pl.read_parquet(truth_dir / "persons.parquet", columns=["person_id", "churn_date"])
    first = churn["as_of_date"].min()
    base = churn.filter(pl.col("as_of_date") == first).select("person_id")
    churned = persons.filter(pl.col("churn_date").is_between(first, first + pl.duration(days=364)))
    return ChurnTruthReport(
        annual_churn_rate=churned.join(base, on="person_id").height / base.height,
        truth_auc_90d=float(
            roc_auc_score(labels["churned_90d"].to_numpy(), labels["churn_prob_90d"].to_numpy())
        ),
        mean_predicted_90d=float(labels["churn_prob_90d"].mean()),
        observed_rate_90d=float(labels["churned_90d"].mean()),
        client_months=labels.height,
    )
