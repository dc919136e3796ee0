"""Scores kept from the last scoring when their feature row has not changed since.

Churn and cross-sell features are month-end rows: a daily build rewrites only the rows of the
clients its late files and golden-id merges touch (and every row on the day a month completes),
and each row keeps the ``_written_by`` stamp of the build that last wrote it. A score and its
reasons depend on nothing but that row and the model version, so a scoring run takes the stored
score and reasons of every row whose client, as-of date, stamp and model version are unchanged,
and walks the trees only for the rest. The result equals a scoring of every row: the row order,
and so the deciles, are the same (docs/ml.md, "Unchanged rows keep their score")."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import polars as pl

from cdp.warehouse import WRITTEN_BY

SCORED_FROM = "_scored_from"
"""Column of a scores table: the ``_written_by`` stamp of the feature row each score was
computed from (``latest_rows`` reads it under this name)."""

STAMPED = f"{WRITTEN_BY} as {SCORED_FROM}"
"""The feature row's build stamp, selected under the scores' name for it."""

REUSE_KEYS = ("golden_client_id", "as_of_date", SCORED_FROM)

NOTHING_STORED = pl.DataFrame(
    schema={"golden_client_id": pl.String, "as_of_date": pl.Date, SCORED_FROM: pl.String,
            "score": pl.Float64, "reasons": pl.String}
)  # fmt: skip
"""No stored scores: every row goes through the trees."""

Explain = Callable[[pl.DataFrame], tuple[np.ndarray, pl.Series]]
"""Calibrated probabilities and reasons of the rows of a frame, in its order."""


def stored_explanations(
    con: duckdb.DuckDBPyConnection, table: str, version: str, product: str | None = None
) -> pl.DataFrame:
    """(golden_client_id, as_of_date, ``SCORED_FROM``, score, reasons) of the rows of scores
    ``table`` computed by model ``version`` (and for ``product``, in a table with one score per
    product); empty when the table does not exist yet or was written before the stamp."""
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where schema_name || '.' || table_name = $table",
            {"table": table},
        ).fetchall()
    }
    if SCORED_FROM not in columns:
        return NOTHING_STORED
    where = "model_version = $version" + (" and product = $product" if product else "")
    params = {"version": version} | ({"product": product} if product else {})
    return con.execute(
        f"select {', '.join(REUSE_KEYS)}, score, reasons from {table} where {where}", params
    ).pl()


def explained(
    rows: pl.DataFrame, stored: pl.DataFrame, explain: Explain
) -> tuple[np.ndarray, pl.Series, int]:
    """The probability and reasons of each of ``rows`` (in their order): ``stored``'s where it
    holds the row's client, as-of date and stamp, ``explain``'s for the others; and how many
    rows went to ``explain``."""
    found = rows.select(REUSE_KEYS).join(
        stored.select(*REUSE_KEYS, "score", "reasons"),
        on=list(REUSE_KEYS),
        how="left",
        maintain_order="left",
    )
    missing = found["score"].is_null().to_numpy()
    prob = found["score"].to_numpy().astype(float, copy=True)
    reasons = found["reasons"]
    if missing.any():
        new_prob, new_reasons = explain(rows.filter(pl.Series(missing)))
        where = np.flatnonzero(missing)
        prob[where] = new_prob
        reasons = reasons.scatter(where, new_reasons)
    return prob, reasons, int(missing.sum())
