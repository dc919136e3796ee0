"""Lead priority figures of the warehouse model against the simulator's truth (evaluation only).

``truth/applications`` holds one row per application the lifecycle made (``app_id`` = the ДБО
``app_id``): whether it was issued and ``true_conversion_prob``, the probability *at its start*
that it ends issued (filled × submitted × approved × signed × issued, from the client's latent
risk, income and the follow-up delay). It knows nothing of the steps a lead has reached by an
as-of date, so on the daily snapshots it is a reference, not a ceiling.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from models_ml.churn import matrix
from models_ml.config import LeadPriorityConfig
from models_ml.lead_priority import baseline_score, labelled_features, model_frame, train_model
from models_ml.metrics import classification_report

MIN_CLASS_ROWS = 10
"""A product's AUC is reported only with at least 10 converted and 10 unconverted rows."""


def _report(y: np.ndarray, score: np.ndarray, *, calibrated: bool) -> dict | None:
    if min(int(y.sum()), int(len(y) - y.sum())) < MIN_CLASS_ROWS:
        return None
    return classification_report(y, score, calibrated=calibrated)


def lead_figures(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, config: LeadPriorityConfig
) -> dict:
    """Train as the pipeline does; on the validation snapshots of application leads, the model,
    the rule baseline and the truth's probability against what truly happened, per product;
    the offers' true outcomes."""
    labelled = labelled_features(con, config)
    result = train_model(model_frame(labelled, config), config)
    months = result.model.split.validation_dates
    rows = labelled.filter(
        pl.col("as_of_date").dt.month_start().is_in(months) & pl.col("is_complete")
    )
    rows = rows.with_columns(
        model=pl.Series(
            result.model.predict(matrix(model_frame(rows, config), result.model.features))
        ),
        baseline=pl.Series(baseline_score(rows, config)),
    )
    truth = pl.read_parquet(truth_dir / "applications" / "*.parquet")
    applications = rows.filter(pl.col("lead_kind") == "application").join(
        truth.select(
            pl.col("app_id").cast(pl.String).alias("application_id"),
            "issued",
            "true_conversion_prob",
        ),
        on="application_id",
    )
    first = applications.sort("as_of_date").unique("lead_id", keep="first")
    per_product = {}
    for (product,), part in applications.sort("product_code").group_by(
        "product_code", maintain_order=True
    ):
        y = part["issued"].to_numpy()
        firsts = first.filter(pl.col("product_code") == product)
        per_product[product] = {
            "rows": part.height,
            "leads": firsts.height,
            "converted_rows": int(y.sum()),
            "model": _report(y, part["model"].to_numpy(), calibrated=True),
            "baseline": _report(y, part["baseline"].to_numpy(), calibrated=False),
            "truth": _report(y, part["true_conversion_prob"].to_numpy(), calibrated=True),
            "first_snapshot": {
                "model": _report(
                    firsts["issued"].to_numpy(), firsts["model"].to_numpy(), calibrated=True
                ),
                "truth": _report(
                    firsts["issued"].to_numpy(),
                    firsts["true_conversion_prob"].to_numpy(),
                    calibrated=True,
                ),
            },
        }
    y = applications["issued"].to_numpy()
    offers = rows.filter(pl.col("lead_kind") == "offer")
    issued_offers = truth.filter(pl.col("issued") & (pl.col("offer_id") >= 0)).select(
        pl.col("offer_id").cast(pl.String)
    )
    return {
        "warehouse_labels": {"model": result.validation, "baseline": result.baseline},
        "applications": {
            "model": classification_report(y, applications["model"].to_numpy(), calibrated=True),
            "baseline": classification_report(
                y, applications["baseline"].to_numpy(), calibrated=False
            ),
            "truth": classification_report(
                y, applications["true_conversion_prob"].to_numpy(), calibrated=True
            ),
        },
        "per_product": per_product,
        "label_agreement": float(np.mean(applications["is_converted"].to_numpy() == y)),
        "offer_rows": offers.height,
        "offer_rows_truly_issued": offers.join(issued_offers, on="offer_id").height,
        "offer_max_score": float(offers["model"].max()) if offers.height else None,
        "validation_months": [str(d) for d in result.model.split.validation_dates],
        "application_rows": applications.height,
    }
