"""Stable golden client ids: carried forward across runs by overlap, with merges and splits
recorded.

A new run's clusters inherit the previous id with which they share the most source records
(each old id goes to one cluster at most); a cluster that took records from several old ids
is a merge, an old id whose records now sit in several clusters is a split, and each is written
to the history with its reason.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

ID_PREFIX = "GC"
ID_DIGITS = 10
HISTORY_SCHEMA = {
    "golden_client_id": pl.String,
    "event": pl.String,
    "related_golden_client_id": pl.String,
    "reason": pl.String,
    "records": pl.Int64,
    "run_at": pl.Datetime("us"),
}


def carry_forward(
    clusters: pl.DataFrame,
    previous: pl.DataFrame | None,
    accepted: pl.DataFrame,
    run_at: dt.datetime,
    next_number: int | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``clusters`` (record_key, cluster_key) and the previous crosswalk (record_key,
    golden_client_id) → record_key → golden_client_id (in the order of ``clusters``), and this
    run's history events. New ids are numbered from ``next_number``, by default after the
    highest previous id (an increment passes part of the crosswalk, so it passes the number)."""
    if previous is None or previous.is_empty():
        previous = pl.DataFrame(schema={"record_key": pl.String, "golden_client_id": pl.String})
    overlap = (
        clusters.join(previous, on="record_key")
        .group_by("cluster_key", "golden_client_id")
        .len()
        .sort(["len", "golden_client_id", "cluster_key"], descending=[True, False, False])
    )
    kept = _greedy_pairs(overlap)
    start = next_number or next_sequence(previous["golden_client_id"])
    fresh = (
        clusters.select("cluster_key")
        .unique()
        .join(kept, on="cluster_key", how="anti")
        .sort("cluster_key")
        .with_row_index("_n")
        .select(
            "cluster_key",
            (pl.lit(ID_PREFIX) + (pl.col("_n") + start).cast(pl.String).str.zfill(ID_DIGITS)).alias(
                "golden_client_id"
            ),
        )
    )
    ids = pl.concat([kept, fresh])
    assigned = clusters.join(ids, on="cluster_key", maintain_order="left").select(
        "record_key", "golden_client_id"
    )
    events = _events(assigned, previous, overlap, ids, fresh, accepted, run_at)
    return assigned, events


def _greedy_pairs(overlap: pl.DataFrame) -> pl.DataFrame:
    """Each old id to the cluster it shares most records with, biggest overlaps first, each id
    and cluster used once. A pair that is the first row of both its cluster and its id is
    what the greedy pass would pick anyway; only the rest is walked in Python."""
    best_id = overlap.group_by("cluster_key", maintain_order=True).first()
    best_cluster = overlap.group_by("golden_client_id", maintain_order=True).first()
    mutual = best_id.join(best_cluster, on=["cluster_key", "golden_client_id"]).select(
        "cluster_key", "golden_client_id"
    )
    rest = overlap.join(mutual, on="cluster_key", how="anti").join(
        mutual, on="golden_client_id", how="anti"
    )
    kept: dict[str, str] = {}
    used: set[str] = set()
    for cluster_key, golden_id, _ in rest.iter_rows():
        if cluster_key not in kept and golden_id not in used:
            kept[cluster_key] = golden_id
            used.add(golden_id)
    walked = pl.DataFrame(
        {"cluster_key": list(kept), "golden_client_id": list(kept.values())},
        schema={"cluster_key": pl.String, "golden_client_id": pl.String},
    )
    return pl.concat([mutual, walked])


def next_sequence(existing: pl.Series) -> int:
    numbers = existing.str.strip_prefix(ID_PREFIX).cast(pl.Int64, strict=False).drop_nulls()
    return int(numbers.max()) + 1 if len(numbers) else 1


def _events(assigned, previous, overlap, ids, fresh, accepted, run_at) -> pl.DataFrame:
    """created / merged_into / split_from / retired, as frames rather than row by row."""
    new_of_old = (
        overlap.join(ids, on="cluster_key", suffix="_new")
        .filter(pl.col("golden_client_id") != pl.col("golden_client_id_new"))
        .with_columns(
            pl.col("golden_client_id").is_in(ids["golden_client_id"].implode()).alias("kept")
        )
    )
    created = fresh.join(overlap, on="cluster_key", how="anti").select(
        "golden_client_id", pl.lit("created").alias("event"), pl.lit("new").alias("reason")
    )
    splits = new_of_old.filter("kept").select(
        pl.col("golden_client_id_new").alias("golden_client_id"),
        pl.lit("split_from").alias("event"),
        pl.col("golden_client_id").alias("related_golden_client_id"),
        pl.lit("records no longer matched to the rest of the client").alias("reason"),
    )
    reasons = _merge_reasons(assigned, previous, accepted)
    merges = (
        new_of_old.filter(~pl.col("kept"))
        .join(reasons, left_on="golden_client_id_new", right_on="golden_client_id", how="left")
        .select(
            "golden_client_id",
            pl.lit("merged_into").alias("event"),
            pl.col("golden_client_id_new").alias("related_golden_client_id"),
            pl.col("reason").fill_null("linked by a new record"),
        )
    )
    retired = (
        previous.select("golden_client_id")
        .unique()
        .join(overlap, on="golden_client_id", how="anti")
        .sort("golden_client_id")
        .select(
            "golden_client_id",
            pl.lit("retired").alias("event"),
            pl.lit("source records gone").alias("reason"),
        )
    )
    sizes = assigned.group_by("golden_client_id").len().rename({"len": "records"})
    return (
        pl.concat([created, merges, splits, retired], how="diagonal_relaxed")
        .join(sizes, on="golden_client_id", how="left")
        .with_columns(
            pl.col("related_golden_client_id").cast(pl.String),
            pl.col("records").cast(pl.Int64),
            pl.lit(run_at).cast(pl.Datetime("us")).alias("run_at"),
        )
        .select(list(HISTORY_SCHEMA))
    )


def _merge_reasons(assigned, previous, accepted) -> pl.DataFrame:
    """Kinds of the accepted edges that join records of different previous ids."""
    if accepted.is_empty() or previous.is_empty():
        return pl.DataFrame(schema={"golden_client_id": pl.String, "reason": pl.String})
    old = previous.rename({"golden_client_id": "old"})
    crossing = (
        accepted.join(old, left_on="record_key_l", right_on="record_key")
        .join(old, left_on="record_key_r", right_on="record_key", suffix="_r")
        .filter(pl.col("old") != pl.col("old_r"))
        .join(assigned, left_on="record_key_l", right_on="record_key")
    )
    return crossing.group_by("golden_client_id").agg(
        (pl.lit("linked by ") + pl.col("kind").unique().sort().str.join(", ")).alias("reason")
    )
