"""Cross-sell figures of the warehouse models against the simulator's truth (evaluation only).

The truth (``adoption_monthly``) holds, per person and month start, ``p_want_<product>``: the
probability that the person *wants* the product that month (zero when holding it or gone;
offers already applied). Wanting becomes an application that opens the product with the
funnel's probability (simulator/lifecycle.py ``_adoption``): form filled 0.85 × submitted 0.9 ×
approved (1 − decline) × signed 0.93·exp(−follow-up hours/60) × issued 0.97, where decline is
0.02 for a non-credit product and sigmoid(−1.4 + 3.5·risk − 0.4·ln(income/42 000)) for a credit
one. The follow-up hours depend on the channel drawn later; their mean factor is taken as
``SIGN_FACTOR`` (a constant: it moves calibration figures, not the ranking).

True probability that a family opens within 90 days after the as-of month end = 1 − (1 − q)³,
q = 1 − Π over the family's product types of (1 − p_want × conversion) in the month that
starts the day after the as-of date: the person's state at the as-of date, held for the three
months. (The truth of the later months is not used: once a person opens the product its
p_want drops to zero, which would mark the very clients who opened as unlikely.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from models_ml.churn import matrix
from models_ml.config import CrossSellConfig
from models_ml.cross_sell import at_risk, baseline_rates, baseline_score, openings, split_parts
from models_ml.cross_sell_pipeline import training
from models_ml.metrics import classification_report
from simulator.products import PRODUCTS
from tests.evaluation.churn_truth import golden_person
from tests.evaluation.truth_seen import truth_seen_by_features

SIGN_FACTOR = 0.93 * 0.9
"""0.93 × E[exp(−h/60)]: ≈ 0.97 in the office (median 2 h), ≈ 0.85 in the app (median 6 h,
σ 1.1); 0.9 between them."""
MONTHS_AHEAD = 3


def true_opening(truth_dir: Path, config: CrossSellConfig) -> pl.DataFrame:
    """(person_id, as_of_date = a month end, true_<product>): the truth's probability that the
    person opens the product family within the three months after that month end."""
    adoption = pl.read_parquet(truth_dir / "adoption_monthly" / "*.parquet")
    persons = pl.read_parquet(
        truth_dir / "persons.parquet", columns=["person_id", "income_rub", "risk"]
    )
    adoption = adoption.join(persons, on="person_id")
    decline_credit = 1 / (
        1 + np.exp(-(-1.4 + 3.5 * pl.col("risk") - 0.4 * (pl.col("income_rub") / 42_000).log()))
    )
    monthly = []
    for product, types in config.product_types.items():
        stay_out = pl.lit(1.0)
        for t in types:
            decline = decline_credit if PRODUCTS[t.upper()].is_credit else pl.lit(0.02)
            conversion = 0.85 * 0.9 * (1 - decline) * SIGN_FACTOR * 0.97
            stay_out = stay_out * (1 - pl.col(f"p_want_{t}") * conversion)
        monthly.append((1 - stay_out**MONTHS_AHEAD).alias(f"true_{product}"))
    return adoption.select(
        "person_id",
        (pl.col("as_of_date") - dt.timedelta(days=1)).alias("as_of_date"),  # month start → end
        *monthly,
    )


def cross_sell_figures(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, config: CrossSellConfig
) -> dict:
    """Train as the pipeline does; per product, on its validation rows (at risk, label window
    complete): model, rule baseline and the truth's own probability against what happened —
    the warehouse label, i.e. a contract of the family started in the window (the truth's
    issued applications are those contracts); the truth's AUC is the ceiling."""
    trained = training(con, config)
    features = con.execute("select * from ml.ml_features__cross_sell").pl()
    opened = openings(con, config)
    truth = true_opening(truth_dir, config)
    persons = golden_person(con, truth_dir)
    split = trained.model.split

    def with_truth(frame: pl.DataFrame, product: str) -> pl.DataFrame:
        return (
            frame.join(persons, on="golden_client_id")
            .join(
                truth.select("person_id", "as_of_date", f"true_{product}"),
                on=["person_id", "as_of_date"],
                how="left",
            )
            .with_columns(pl.col(f"true_{product}").fill_null(0.0))
        )

    figures = {"validation_dates": [str(d) for d in split.validation_dates], "products": {}}
    for product, result in trained.results.items():
        if result.model is None:
            figures["products"][product] = {"training_positives": result.training_positives}
            continue
        rows = at_risk(features, opened, product, config)
        parts = split_parts(rows, split)
        rates = baseline_rates(parts["train"], "is_opened", config)
        judged = parts["validation"]
        joined = with_truth(
            judged.with_columns(
                model=pl.Series(result.model.predict(matrix(judged, result.model.features))),
                baseline=pl.Series(baseline_score(judged, rates, config)),
            ),
            product,
        )
        seen = truth_seen_by_features(
            with_truth(parts["train"], product), joined, f"true_{product}", result.model.features
        )
        y = joined["is_opened"].to_numpy()
        figures["products"][product] = {
            "training_positives": result.training_positives,
            "model": classification_report(y, joined["model"].to_numpy(), calibrated=True),
            "baseline": classification_report(y, joined["baseline"].to_numpy(), calibrated=False),
            "truth": classification_report(
                y, joined[f"true_{product}"].to_numpy(), calibrated=True
            ),
            "truth_seen_by_features": classification_report(y, seen, calibrated=False),
        }
    return figures
