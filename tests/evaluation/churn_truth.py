"""Churn figures of the warehouse model against the simulator's truth (evaluation only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from models_ml.churn import baseline_score, matrix, train
from models_ml.config import ChurnConfig
from models_ml.metrics import classification_report
from models_ml.pipeline import training_frame
from simulator.evaluation import churn_labels, score_without_dissatisfaction
from tests.evaluation.truth_seen import truth_seen_by_features


def golden_person(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> pl.DataFrame:
    """golden_client_id → the true person of its АБС client record (one person per client:
    the golden record merges a person's duplicate АБС records)."""
    crosswalk = con.execute(
        "select record_key, golden_client_id from marts.dim_client_crosswalk where source = 'abs'"
    ).pl()
    persons = pl.read_parquet(truth_dir / "persons.parquet", columns=["person_id", "abs_client_id"])
    persons = persons.with_columns(
        record_key=pl.lit("abs:") + pl.col("abs_client_id").cast(pl.String)
    )
    return (
        persons.join(crosswalk, on="record_key")
        .group_by("golden_client_id")
        .agg(pl.col("person_id").min())
    )


def churn_figures(con: duckdb.DuckDBPyConnection, truth_dir: Path, config: ChurnConfig) -> dict:
    """Train as the pipeline does; on the validation rows whose truth window is complete, the
    model, the rule baseline and the truth's own probability against what truly happened."""
    frame = training_frame(con, config)
    result = train(frame, config)
    rows = frame.filter(pl.col("as_of_date").is_in(result.model.split.validation_dates))
    truth = churn_labels(truth_dir).with_columns(
        (pl.col("as_of_date") - dt.timedelta(days=1)).alias("as_of_date")  # month start → end
    )
    persons = golden_person(con, truth_dir)
    joined = (
        rows.with_columns(
            model=pl.Series(result.model.predict(matrix(rows, result.model.features))),
            baseline=pl.Series(baseline_score(rows, config)),
        )
        .join(persons, on="golden_client_id")
        .join(truth.select("person_id", "as_of_date", "churn_prob_90d", "churned_90d",
                           "monthly_decision_prob", "dissatisfaction", "is_leaving",
                           "is_silent_leaver"),
              on=["person_id", "as_of_date"])
    )  # fmt: skip
    trained_on = (
        frame.filter(pl.col("as_of_date").is_in(result.model.split.train_dates))
        .join(persons, on="golden_client_id")
        .join(
            truth.select("person_id", "as_of_date", "churn_prob_90d"),
            on=["person_id", "as_of_date"],
        )
    )
    seen = truth_seen_by_features(trained_on, joined, "churn_prob_90d", result.model.features)
    y = joined["churned_90d"].to_numpy()
    return {
        "warehouse_labels": {"model": result.validation, "baseline": result.baseline},
        "truth_labels": {
            "model": classification_report(y, joined["model"].to_numpy(), calibrated=True),
            "baseline": classification_report(y, joined["baseline"].to_numpy(), calibrated=False),
            "truth": classification_report(y, joined["churn_prob_90d"].to_numpy(), calibrated=True),
            "truth_without_dissatisfaction": classification_report(
                y, score_without_dissatisfaction(joined), calibrated=False
            ),
            "truth_seen_by_features": classification_report(y, seen, calibrated=False),
        },
        "label_agreement": float(np.mean(joined["is_churned"].to_numpy() == y)),
        "label_auc_of_truth_probability": float(
            roc_auc_score(joined["is_churned"].to_numpy(), joined["churn_prob_90d"].to_numpy())
        ),
        "validation_dates": [str(d) for d in result.model.split.validation_dates],
        "truth_rows": joined.height,
    }
