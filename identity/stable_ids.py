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


def format_id(sequence: int) -> str:
    return f"{ID_PREFIX}{sequence:0{ID_DIGITS}d}"


def carry_forward(
    clusters: pl.DataFrame,
    previous: pl.DataFrame | None,
    accepted: pl.DataFrame,
    run_at: dt.datetime,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``clusters`` (record_key, cluster_key) and the previous crosswalk (record_key,
    golden_client_id) → record_key → golden_client_id, and this run's history events."""
    if previous is None or previous.is_empty():
        previous = pl.DataFrame(schema={"record_key": pl.String, "golden_client_id": pl.String})
    overlap = (
        clusters.join(previous, on="record_key")
        .group_by("cluster_key", "golden_client_id")
        .len()
        .sort(["len", "golden_client_id", "cluster_key"], descending=[True, False, False])
    )
    kept: dict[str, str] = {}
    used: set[str] = set()
    for cluster_key, golden_id, _ in overlap.iter_rows():
        if cluster_key not in kept and golden_id not in used:
            kept[cluster_key] = golden_id
            used.add(golden_id)
    start = _next_sequence(previous["golden_client_id"])
    fresh = (
        clusters.select("cluster_key")
        .unique()
        .filter(~pl.col("cluster_key").is_in(list(kept)))
        .sort("cluster_key")
    )
    ids = pl.concat(
        [
            pl.DataFrame(
                {"cluster_key": list(kept), "golden_client_id": list(kept.values())},
                schema={"cluster_key": pl.String, "golden_client_id": pl.String},
            ),
            fresh.with_columns(
                pl.Series(
                    "golden_client_id",
                    [format_id(start + i) for i in range(fresh.height)],
                    dtype=pl.String,
                )
            ),
        ]
    )
    assigned = clusters.join(ids, on="cluster_key").select("record_key", "golden_client_id")
    events = _events(assigned, previous, overlap, ids, accepted, run_at)
    return assigned, events


def _next_sequence(existing: pl.Series) -> int:
    numbers = existing.str.strip_prefix(ID_PREFIX).cast(pl.Int64, strict=False).drop_nulls()
    return int(numbers.max()) + 1 if len(numbers) else 1


def _events(assigned, previous, overlap, ids, accepted, run_at) -> pl.DataFrame:
    new_of_old = overlap.join(ids, on="cluster_key", suffix="_new")
    sizes = assigned.group_by("golden_client_id").len().rename({"len": "records"})
    rows: list[dict] = []
    had_past = set(overlap["cluster_key"])
    for cluster_key, golden_id in ids.iter_rows():
        if cluster_key not in had_past:
            rows.append({"golden_client_id": golden_id, "event": "created", "reason": "new"})
    reasons = _merge_reasons(assigned, previous, accepted)
    for old, new, _ in new_of_old.select(
        "golden_client_id", "golden_client_id_new", "len"
    ).iter_rows():
        if old == new:
            continue
        kept_elsewhere = old in set(ids["golden_client_id"])
        if kept_elsewhere:
            rows.append(
                {
                    "golden_client_id": new,
                    "event": "split_from",
                    "related_golden_client_id": old,
                    "reason": "records no longer matched to the rest of the client",
                }
            )
        else:
            rows.append(
                {
                    "golden_client_id": old,
                    "event": "merged_into",
                    "related_golden_client_id": new,
                    "reason": reasons.get(new, "linked by a new record"),
                }
            )
    gone = set(previous["golden_client_id"]) - set(new_of_old["golden_client_id"])
    rows.extend(
        {"golden_client_id": g, "event": "retired", "reason": "source records gone"}
        for g in sorted(gone)
    )
    frame = pl.DataFrame(
        rows,
        schema={k: HISTORY_SCHEMA[k] for k in HISTORY_SCHEMA if k not in ("records", "run_at")},
    )
    return (
        frame.join(sizes, on="golden_client_id", how="left")
        .with_columns(pl.lit(run_at).cast(pl.Datetime("us")).alias("run_at"))
        .select(list(HISTORY_SCHEMA))
    )


def _merge_reasons(assigned, previous, accepted) -> dict[str, str]:
    """Kinds of the accepted edges that join records of different previous ids."""
    if accepted.is_empty() or previous.is_empty():
        return {}
    old = previous.rename({"golden_client_id": "old"})
    crossing = (
        accepted.join(old, left_on="record_key_l", right_on="record_key")
        .join(old, left_on="record_key_r", right_on="record_key", suffix="_r")
        .filter(pl.col("old") != pl.col("old_r"))
        .join(assigned, left_on="record_key_l", right_on="record_key")
    )
    grouped = crossing.group_by("golden_client_id").agg(pl.col("kind").unique().sort())
    return {g: "linked by " + ", ".join(kinds) for g, kinds in grouped.iter_rows()}
