"""Resolve an outside file of people (a partner list, leads) with the golden-record engine.

``match_file`` finds, for every row, the golden client it matches — or none — with the match
probability, using the model and records the pipeline stored in the warehouse. ``dedupe_file``
runs the same engine on the file alone and returns a cluster id per row. Every input row comes
out exactly once: matched, unmatched, or rejected with the field and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from identity import matching
from identity.clustering import cluster, identifier_edges
from identity.config import MatchingConfig
from identity.records import STANDARD_COLUMNS, standardize
from identity.resolution import MAX_RECORDS_PER_IDENTIFIER, stored_model

INPUT_SOURCE = "input"
REQUIRED_COLUMNS = ("source_record_id",)
IDENTIFYING_COLUMNS = ("surname", "first_name", "inn", "snils", "phones", "emails")
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


class ResolverInputError(ValueError):
    """A file the resolver cannot read at all, named with the field and cause."""


@dataclass
class ResolverInput:
    rows: pl.DataFrame
    """Readable rows in the standard shape, with ``line`` (1-based, header = 1)."""
    rejected: pl.DataFrame
    """line, source_record_id, status='rejected', reason."""


def read_input(path: Path) -> ResolverInput:
    """Read a CSV in the standard person shape (UTF-8, header row, ``,`` or ``;``)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ResolverInputError(
            f"{path}: not UTF-8 ({error.reason} at byte {error.start})"
        ) from error
    header = text.split("\n", 1)[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    frame = pl.read_csv(path, separator=separator, infer_schema=False, encoding="utf8-lossy")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ResolverInputError(f"{path}: line 1: missing column {', '.join(missing)}")
    if not set(IDENTIFYING_COLUMNS) & set(frame.columns):
        raise ResolverInputError(
            f"{path}: line 1: none of the identifying columns {', '.join(IDENTIFYING_COLUMNS)}"
        )
    unknown = sorted(set(frame.columns) - set(STANDARD_COLUMNS))
    frame = frame.drop(unknown).with_row_index("line", offset=2)
    if "birth_date" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("birth_date"))
    text = pl.col("birth_date").str.strip_chars()
    parsed = pl.coalesce([text.str.strptime(pl.Date, f, strict=False) for f in DATE_FORMATS])
    frame = frame.with_columns(parsed.alias("_birth"))
    reasons = (
        pl.when(pl.col("source_record_id").is_null())
        .then(pl.lit("source_record_id: empty"))
        .when(pl.col("source_record_id").is_duplicated())
        .then(pl.lit("source_record_id: not unique in the file"))
        .when(pl.col("_birth").is_null() & (text.str.len_chars() > 0))
        .then(pl.lit("birth_date: not a date (YYYY-MM-DD or DD.MM.YYYY)"))
    )
    frame = frame.with_columns(reasons.alias("reason"))
    rejected = frame.filter(pl.col("reason").is_not_null()).select(
        "line", "source_record_id", pl.lit("rejected").alias("status"), "reason"
    )
    rows = (
        frame.filter(pl.col("reason").is_null())
        .with_columns(pl.col("_birth").alias("birth_date"), pl.lit(INPUT_SOURCE).alias("source"))
        .drop("_birth", "reason")
    )
    return ResolverInput(rows=rows, rejected=rejected)


def match_file(
    con: duckdb.DuckDBPyConnection, source: ResolverInput, config: MatchingConfig | None = None
) -> pl.DataFrame:
    """Each input row → the golden client it matches (or none) and the probability."""
    config = config or MatchingConfig()
    model = stored_model(con)
    if model is None:
        raise ResolverInputError(
            "the warehouse holds no identity model yet: run the pipeline (make run) first"
        )
    known = con.sql(
        "select * exclude (phones_private, phone_blocks) "
        "from intermediate.int_client_records_unioned where role <> 'identified_caller'"
    ).pl()
    hubs = matching.phone_hubs(known, config)["phone"]
    incoming = _keyed(source.rows, hubs)
    known = _keyed(known, hubs)
    pairs = matching.predict_between(incoming, known, model, config)
    best = (
        pairs.filter(~pl.col("is_sibling_pattern"))
        .join(
            known.select(pl.col("record_key").alias("record_key_r"), "golden_client_id"),
            on="record_key_r",
        )
        .sort("match_probability", descending=True)
        .group_by("record_key_l", maintain_order=True)
        .agg(pl.col("golden_client_id").first(), pl.col("match_probability").first())
    )
    out = (
        incoming.select("source_record_id", "record_key")
        .join(_lines(source), on="source_record_id")
        .join(best, left_on="record_key", right_on="record_key_l", how="left")
    )
    matched = pl.col("match_probability") >= config.match_probability
    return _with_rejected(
        out.select(
            "line",
            "source_record_id",
            pl.when(matched).then(pl.lit("matched")).otherwise(pl.lit("unmatched")).alias("status"),
            pl.when(matched).then(pl.col("golden_client_id")).alias("golden_client_id"),
            pl.col("match_probability").fill_null(0.0).round(6),
        ),
        source,
    )


def dedupe_file(
    source: ResolverInput,
    model: matching.TrainedModel | None = None,
    config: MatchingConfig | None = None,
) -> pl.DataFrame:
    """Cluster the file's own rows; the model is the warehouse's when given, else trained on
    the file (its rows sharing a valid INN or SNILS are the silver labels)."""
    config = config or MatchingConfig()
    records = standardize(source.rows).with_columns(pl.lit(None, pl.String).alias("anchor_id"))
    records = matching.hub_free(records, config)
    ids = identifier_edges(records, MAX_RECORDS_PER_IDENTIFIER)
    if model is None:
        labels = matching.silver_labels(records, ids)
        if labels.height < config.min_label_pairs:
            raise ResolverInputError(
                f"only {labels.height} rows share a valid INN or SNILS: too few to train a "
                f"model (need {config.min_label_pairs}); dedupe against a warehouse model"
            )
        model = matching.train(records, labels, config)
    scored = matching.predict(records, model, config)
    edges = pl.concat(
        [
            ids,
            scored.filter(
                (pl.col("match_probability") >= config.match_probability)
                & ~pl.col("is_sibling_pattern")
            ).select(
                "record_key_l",
                "record_key_r",
                pl.lit("probabilistic").alias("kind"),
                "match_probability",
            ),
        ]
    )
    never = pl.DataFrame(schema={"record_key_l": pl.String, "record_key_r": pl.String})
    clusters = cluster(records, edges, never).clusters
    numbered = clusters.with_columns(
        ("C" + pl.col("cluster_key").rank("dense").cast(pl.String).str.zfill(7)).alias(
            "cluster_id"
        ),
        pl.len().over("cluster_key").alias("cluster_size"),
    )
    out = (
        records.select("source_record_id", "record_key")
        .join(_lines(source), on="source_record_id")
        .join(numbered, on="record_key")
    )
    return _with_rejected(
        out.select(
            "line", "source_record_id", pl.lit("clustered").alias("status"), "cluster_id",
            "cluster_size",
        ),
        source,
    )  # fmt: skip


def _keyed(frame: pl.DataFrame, hubs: pl.Series) -> pl.DataFrame:
    keyed = standardize(frame) if "record_key" not in frame.columns else frame
    return matching.without_hubs(keyed, hubs)


def _lines(source: ResolverInput) -> pl.DataFrame:
    return source.rows.select("source_record_id", "line")


def _with_rejected(result: pl.DataFrame, source: ResolverInput) -> pl.DataFrame:
    rejected = source.rejected.with_columns(pl.col("line").cast(result["line"].dtype))
    return pl.concat([result, rejected], how="diagonal_relaxed").sort("line")
