"""Scores kept when their feature row is unchanged (models_ml/score_reuse.py)."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl

from models_ml.score_reuse import SCORED_FROM, explained, stored_explanations

AS_OF = dt.date(2026, 9, 30)


def _rows(stamps: list[str], as_of: dt.date = AS_OF) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "golden_client_id": [f"GC{i}" for i in range(len(stamps))],
            "as_of_date": [as_of] * len(stamps),
            SCORED_FROM: stamps,
            "x": np.arange(len(stamps), dtype=float),
        }
    )


def _explain(rows: pl.DataFrame) -> tuple[np.ndarray, pl.Series]:
    """A stand-in model: the probability is a function of the row, the reason names it."""
    x = rows["x"].to_numpy()
    return x / 100 + 0.001, pl.Series([f"new {i:.0f}" for i in x])


def test_unchanged_rows_keep_their_stored_score_and_only_the_others_are_explained():
    rows = _rows(["a", "a", "b", "a", "a"])
    stored = pl.DataFrame(
        {
            "golden_client_id": ["GC0", "GC1", "GC2", "GC4"],
            "as_of_date": [AS_OF, AS_OF, AS_OF, AS_OF - dt.timedelta(days=30)],
            SCORED_FROM: ["a", "a", "a", "a"],
            "score": [0.5, 0.6, 0.7, 0.8],
            "reasons": ["kept 0", "kept 1", "kept 2", "kept 4"],
        }
    )
    seen = []

    def explain(part: pl.DataFrame):
        seen.append(part["golden_client_id"].to_list())
        return _explain(part)

    prob, reasons, count = explained(rows, stored, explain)
    # GC2's row was rewritten (stamp b), GC3 has no stored score, GC4's is of another month
    assert seen == [["GC2", "GC3", "GC4"]]
    assert count == 3
    assert prob.tolist() == [0.5, 0.6, 0.021, 0.031, 0.041]
    assert reasons.to_list() == ["kept 0", "kept 1", "new 2", "new 3", "new 4"]


def test_with_nothing_stored_every_row_is_explained_in_order():
    rows = _rows(["a", "b", "c"])
    empty = stored_explanations(duckdb.connect(), "ml.ml_scores__none", "v1")
    prob, reasons, count = explained(rows, empty, _explain)
    assert count == 3 and prob.tolist() == [0.001, 0.011, 0.021]
    assert reasons.to_list() == ["new 0", "new 1", "new 2"]


def test_stored_explanations_are_those_of_the_model_version_and_product_asked_for():
    con = duckdb.connect()
    con.execute("create schema ml")
    con.execute(
        "create table ml.s as select * from (values "
        "('GC0', date '2026-09-30', 'v1', 'deposit', 0.1::double, 'r0', 'a'), "
        "('GC0', date '2026-09-30', 'v1', 'credit_card', 0.2, 'r1', 'a'), "
        "('GC1', date '2026-09-30', 'v2', 'deposit', 0.3, 'r2', 'a')) "
        f"t(golden_client_id, as_of_date, model_version, product, score, reasons, {SCORED_FROM})"
    )
    got = stored_explanations(con, "ml.s", "v1", "deposit")
    assert got.select("golden_client_id", "score").rows() == [("GC0", 0.1)]
    assert stored_explanations(con, "ml.s", "v2").height == 1
    con.execute(f"alter table ml.s drop column {SCORED_FROM}")  # scored by older code
    assert stored_explanations(con, "ml.s", "v1").is_empty()
