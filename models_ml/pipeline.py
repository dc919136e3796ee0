"""The churn model's steps on a warehouse connection: train (and register, and promote when
it may be), then score with the promoted version. What the Dagster assets and the CLI call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from cdp.warehouse import as_arrow, row_hash
from models_ml import registry
from models_ml.churn import CalibratedModel, TrainingResult, drift, score, train
from models_ml.config import ChurnConfig, ModelConfig
from models_ml.feature_tables import FEATURE_ROW
from models_ml.labels import labelled_features
from models_ml.score_reuse import SCORED_FROM, STAMPED, stored_explanations

FEATURES_TABLE = "ml.ml_features__churn"
SCORES_TABLE = "ml.ml_scores__churn"


def data_fingerprint(con: duckdb.DuckDBPyConnection, table: str = FEATURES_TABLE) -> str:
    """Order-independent hash of every feature row: equal tables, equal fingerprint, however
    they were built (a full build or increments); ``row_hash``, so that the same change in two
    rows does not cancel."""
    [rows, digest] = con.execute(
        f"select count(*), coalesce(bit_xor({row_hash('f')}), 0) "
        f"from (select {FEATURE_ROW} from {table}) as f"
    ).fetchone()
    return f"{digest:016x}{rows:x}"


def training_frame(con: duckdb.DuckDBPyConnection, config: ChurnConfig) -> pl.DataFrame:
    return labelled_features(con, config.horizon_days, config.silence_days, complete_only=True)


@dataclass(frozen=True)
class TrainOutcome:
    version: str
    result: TrainingResult
    promoted: bool
    folder: Path


def card(
    title: str,
    label: str,
    baseline: str,
    result: TrainingResult,
    config: ModelConfig,
    meta: dict,
    notes: tuple[str, ...] = (),
) -> str:
    """A model card in Markdown: what the model predicts (``label``), its window, gate,
    baseline, validation figures, features and ``notes``."""
    split = result.model.split
    v, b = result.validation, result.baseline
    lines = [
        f"# {title}",
        "",
        label,
        "",
        f"- Fitted on as-of dates {split.train_dates[0]} … {split.train_dates[-1]}, calibrated "
        f"({config.calibration_method}) on {', '.join(map(str, split.calibration_dates))}, "
        f"validated on {split.validation_dates[0]} … {split.validation_dates[-1]}.",
        f"- Training positives: {result.training_positives} (gate ≥ {config.min_positives}: "
        f"{'passed' if result.gate_passed else 'REFUSED'}).",
        f"- Beats the rule baseline ({baseline}): {'yes' if result.beats_baseline else 'NO'}.",
        f"- Data fingerprint {meta['data_fingerprint']}, code {meta['code_version']}.",
        "",
        "| validation | model | rule baseline |",
        "|---|---:|---:|",
        *(
            f"| {k} | {v[k]:.4f} | {b[k]:.4f} |"
            for k in ("roc_auc", "pr_auc", "top_decile_lift", "top_decile_capture")
        ),
        f"| brier | {v['brier']:.4f} | — |",
        f"| ece | {v['ece']:.4f} | — |",
        "",
        f"Features ({len(result.model.features)}): {', '.join(result.model.features)}.",
        "",
        "Reasons: per row, the groups of features whose values raise the log-odds most against "
        "the same row with the group reset to the training medians.",
        "",
        *(f"{note}\n" for note in notes),
    ]
    return "\n".join(lines)


def model_card(version: str, result: TrainingResult, config: ChurnConfig, meta: dict) -> str:
    return card(
        f"Churn model {version}",
        "Probability that a retail client holding a product closes all products or stops all "
        f"activity within {config.horizon_days} days after the as-of date (docs/ml.md).",
        f"no activity for {config.baseline_inactive_days} days",
        result,
        config,
        meta,
    )


def train_churn(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    config: ChurnConfig,
    *,
    now: dt.datetime | None = None,
) -> TrainOutcome:
    """Train, register every model, and promote it only when it passed the minimum-data gate
    and beat the rule baseline on the later period."""
    fingerprint = data_fingerprint(con)
    result = train(training_frame(con, config), config)
    return register(root, config, result, fingerprint, model_card, now)


def version_metadata(
    config: ModelConfig, version: str, model, fingerprint: str, now: dt.datetime | None = None
) -> dict:
    """What every registered version records, whatever the model: name, version, time,
    features, training window, data fingerprint, code version and config."""
    split = model.split
    return {
        "model": config.name,
        "version": version,
        "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
        "features": model.features,
        "training_window": {
            "train_dates": split.train_dates,
            "calibration_dates": split.calibration_dates,
            "validation_dates": split.validation_dates,
        },
        "data_fingerprint": fingerprint,
        "code_version": registry.code_version(),
        "config": config.model_dump(),
    }


def save_version(root: Path, name: str, version: str, model, meta: dict, card: str) -> Path:
    """Save a version and promote it when its metadata says it passed its gate and baseline."""
    folder = registry.save(root, name, version, model, meta, card)
    if meta["is_promotable"]:
        registry.promote(root, name, version)
    return folder


def register(
    root: Path,
    config: ModelConfig,
    result: TrainingResult,
    fingerprint: str,
    card: Callable[[str, TrainingResult, ModelConfig, dict], str],
    now: dt.datetime | None = None,
) -> TrainOutcome:
    """Save a trained model with its metadata and ``card`` under a new version, and promote it
    when it passed its gate and beat its baseline."""
    version = registry.new_version(fingerprint, now)
    meta = version_metadata(config, version, result.model, fingerprint, now) | {
        "training_positives": result.training_positives,
        "gate_passed": result.gate_passed,
        "beats_baseline": result.beats_baseline,
        "is_promotable": result.gate_passed and result.beats_baseline,
        "metrics": {"validation": result.validation, "baseline": result.baseline},
    }
    folder = save_version(
        root, config.name, version, result.model, meta, card(version, result, config, meta)
    )
    return TrainOutcome(version, result, meta["is_promotable"], folder)


@dataclass(frozen=True)
class ScoreOutcome:
    version: str
    as_of_date: dt.date
    rows: int
    psi: dict[str, float]
    explained: int
    """Rows that went through the trees; the others kept their stored score (``score_reuse``)."""


def promoted_model(root: Path, name: str) -> tuple[str, CalibratedModel]:
    """The version scoring uses and its model: the promotion pointer, never the newest folder."""
    version = registry.promoted_version(root, name)
    if version is None:
        raise LookupError(f"no promoted {name} model in {root}")
    return version, registry.load(root, name, version)


def latest_rows(con: duckdb.DuckDBPyConnection, table: str, key: str) -> pl.DataFrame:
    """The rows of ``table``'s latest as-of date with their build stamp (``SCORED_FROM``), in
    ``key`` order: deciles break ties by position, and without an order DuckDB returned the
    rows in a different order from run to run (bank-1m cross-sell: two clients of equal score
    swapped deciles 9 and 10)."""
    return con.execute(
        f"select {FEATURE_ROW}, {STAMPED} from {table} "
        f"where as_of_date = (select max(as_of_date) from {table}) "
        f"order by {key}"
    ).pl()


def replace_scores(
    con: duckdb.DuckDBPyConnection, table: str, scores: pl.DataFrame, columns: str
) -> None:
    """Replace ``table`` whole with ``scores``, its columns selected and typed by ``columns``.
    Writing only the rows that differ was slower as soon as a few per cent of them did: the
    changed rows lie all over the table (bank-300k cross-sell, 5 % of the rows re-scored:
    6.4 s against ≈ 4.5 s written whole)."""
    con.execute("create schema if not exists ml")
    con.register("scores_frame", as_arrow(scores))
    con.execute(f"create or replace table {table} as select {columns} from scores_frame")
    con.unregister("scores_frame")


def score_churn(con: duckdb.DuckDBPyConnection, root: Path, config: ChurnConfig) -> ScoreOutcome:
    """Score every client of the latest as-of date with the promoted model into
    ``ml.ml_scores__churn`` (replaced whole; rows unchanged since the last scoring keep their
    score: ``score_reuse``) and measure drift against training."""
    version, model = promoted_model(root, config.name)
    latest = latest_rows(con, FEATURES_TABLE, "golden_client_id")
    stored = stored_explanations(con, SCORES_TABLE, version)
    scores, explained_rows = score(latest, model, version, config, stored)
    replace_scores(
        con,
        SCORES_TABLE,
        scores,
        "golden_client_id, as_of_date, model_version, score, cast(decile as tinyint) as decile, "
        f"reasons, {SCORED_FROM}",
    )
    return ScoreOutcome(
        version=version,
        as_of_date=latest["as_of_date"].max(),
        rows=scores.height,
        psi=drift(model, latest, scores["score"].to_numpy()),
        explained=explained_rows,
    )
