"""The cross-sell models' steps on a warehouse connection: train every product family (and
register, and promote when the version may be), then score the latest as-of date with the
promoted version. What the Dagster assets and the CLI call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from cdp.warehouse import query_frame_by_period
from models_ml import registry
from models_ml.config import CrossSellConfig
from models_ml.cross_sell import (
    FEATURES_TABLE,
    CrossSellTraining,
    applications,
    data_end,
    eligibility,
    openings,
    score,
    train,
)
from models_ml.feature_tables import FEATURE_ROW
from models_ml.pipeline import (
    ScoreOutcome,
    data_fingerprint,
    latest_rows,
    promoted_model,
    replace_scores,
    save_version,
    version_metadata,
)
from models_ml.score_reuse import SCORED_FROM, stored_explanations

SCORES_TABLE = "ml.ml_scores__cross_sell"
METRICS = ("roc_auc", "pr_auc", "top_decile_lift", "top_decile_capture")


def features_in_as_of_order(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The feature table sorted by as-of date and client, read one as-of date at a time."""
    return query_frame_by_period(
        con,
        f"select {FEATURE_ROW} from {FEATURES_TABLE} where as_of_date = $period "
        "order by golden_client_id",
        f"select distinct as_of_date from {FEATURES_TABLE} order by as_of_date",
    )


def training(con: duckdb.DuckDBPyConnection, config: CrossSellConfig) -> CrossSellTraining:
    """Features, labels and every product family's model, as the pipeline trains them. The
    features come in as-of order, so the complete rows and the parts of the time split are
    slices of one frame, not copies (``churn.rows_where``); the frame is handed over, not
    kept here."""
    return train(
        features_in_as_of_order(con),
        openings(con, config),
        data_end(con),
        config,
        applied=applications(con, config) if config.fit_on_applications else None,
    )


def model_card(
    version: str, trained: CrossSellTraining, config: CrossSellConfig, meta: dict
) -> str:
    split = trained.model.split
    lines = [
        f"# Cross-sell model {version}",
        "",
        "Per product family, the probability that a retail client not holding it opens it within "
        f"{config.horizon_days} days after the as-of date (docs/ml.md, «Cross-sell and next "
        "best offer»).",
        "",
        f"- Fitted on as-of dates {split.train_dates[0]} … {split.train_dates[-1]}, calibrated "
        f"({config.calibration_method}) on {', '.join(map(str, split.calibration_dates))}, "
        f"validated on {split.validation_dates[0]} … {split.validation_dates[-1]}.",
        "- Fitted on the openings"
        + (" and the applications started" if config.fit_on_applications else "")
        + f" within {config.horizon_days} days; calibrated and judged on the openings.",
        f"- Minimum-data gate: ≥ {config.min_positives} openings per product in the training "
        f"and calibration rows; required products ({', '.join(config.required_products)}) "
        f"{'all passed' if trained.gate_passed else 'did NOT all pass'}.",
        "- Rule baseline: the training opening rate of the product in the client's cell (age "
        "band × products held); every product past its gate beats it: "
        f"{'yes' if trained.beats_baseline else 'NO'}.",
        f"- Scored products: {', '.join(trained.model.publishable) or 'none'}.",
        f"- Data fingerprint {meta['data_fingerprint']}, code {meta['code_version']}.",
        "",
        "| product | openings (train+cal) | gate | ROC AUC | baseline | PR AUC | baseline | "
        "top-decile lift | baseline | Brier | ECE |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for product, r in trained.results.items():
        if r.validation is None:
            lines.append(f"| {product} | {r.training_positives} | refused |" + " — |" * 8)
            continue
        v, b = r.validation, r.baseline
        lines.append(
            f"| {product} | {r.training_positives} | passed | {v['roc_auc']:.3f} | "
            f"{b['roc_auc']:.3f} | {v['pr_auc']:.3f} | {b['pr_auc']:.3f} | "
            f"{v['top_decile_lift']:.2f} | {b['top_decile_lift']:.2f} | {v['brier']:.4f} | "
            f"{v['ece']:.4f} |"
        )
    lines += [
        "",
        f"Features ({len(trained.model.features)}): {', '.join(trained.model.features)}.",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class TrainOutcome:
    version: str
    trained: CrossSellTraining
    promoted: bool
    folder: Path


def train_cross_sell(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    config: CrossSellConfig,
    *,
    now: dt.datetime | None = None,
) -> TrainOutcome:
    """Train, register the version, and promote it when at least one product family passed
    its gate and beat its rule baseline; only those families are offered."""
    fingerprint = data_fingerprint(con, FEATURES_TABLE)
    trained = training(con, config)
    version = registry.new_version(fingerprint, now)
    meta = version_metadata(config, version, trained.model, fingerprint, now) | {
        "gate_passed": trained.gate_passed,
        "beats_baseline": trained.beats_baseline,
        "is_promotable": trained.is_promotable,
        "publishable_products": trained.model.publishable,
        "products": {
            p: {
                "training_positives": r.training_positives,
                "gate_passed": r.gate_passed,
                "beats_baseline": r.beats_baseline,
                "validation": r.validation,
                "baseline": r.baseline,
            }
            for p, r in trained.results.items()
        },
        # `cdp models list` reads one validation figure: the weakest offered family's.
        "metrics": {
            "validation": {
                k: min(
                    (trained.results[p].validation[k] for p in trained.model.publishable),
                    default=float("nan"),
                )
                for k in METRICS
            }
        },
    }
    card = model_card(version, trained, config, meta)
    folder = save_version(root, config.name, version, trained.model, meta, card)
    return TrainOutcome(version, trained, meta["is_promotable"], folder)


@dataclass(frozen=True)
class CrossSellScoreOutcome(ScoreOutcome):
    clients: int
    products: list[str]


def score_cross_sell(
    con: duckdb.DuckDBPyConnection, root: Path, config: CrossSellConfig
) -> CrossSellScoreOutcome:
    """Offers for every eligible client of the latest as-of date from the promoted version into
    ``ml.ml_scores__cross_sell`` (replaced whole; rows unchanged since the last scoring keep
    their score: ``score_reuse``), with drift against training."""
    version, model = promoted_model(root, config.name)
    latest = latest_rows(con, FEATURES_TABLE, "golden_client_id")
    as_of = latest["as_of_date"].max()
    scores, psi, explained_rows = score(
        latest,
        eligibility(con, as_of, config),
        model,
        version,
        config,
        lambda product: stored_explanations(con, SCORES_TABLE, version, product),
    )
    replace_scores(
        con,
        SCORES_TABLE,
        scores,
        "golden_client_id, as_of_date, model_version, product, score, "
        "cast(decile as tinyint) as decile, reasons, "
        "cast(expected_value_rub as decimal(18, 2)) as expected_value_rub, "
        f"cast(offer_rank as tinyint) as offer_rank, {SCORED_FROM}",
    )
    return CrossSellScoreOutcome(
        version=version,
        as_of_date=as_of,
        rows=scores.height,
        clients=scores["golden_client_id"].n_unique(),
        products=sorted(pl.Series(scores["product"]).unique().to_list()),
        psi=psi,
        explained=explained_rows,
    )
