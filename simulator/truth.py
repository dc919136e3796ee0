"""Ground truth, written apart from the landing zone and read only by evaluation code.

Files (Parquet): who is behind every source record, every injected defect, each client's true
monthly churn probability and churn date, true product-adoption probabilities, application
outcomes and delivery incidents. Monthly parts are flushed as the simulation goes so memory does
not grow with the history.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import polars as pl


class TruthWriter:
    def __init__(self, root: Path):
        self.root = root
        self._parts = 0

    def _write(self, name: str, frame: pl.DataFrame) -> None:
        path = self.root / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path, statistics=False)

    def flush_month(self, life) -> None:
        """Move the lifecycle's monthly truth rows to disk."""
        for name, rows in (
            ("churn_monthly", life.truth_churn),
            ("adoption_monthly", life.truth_adoption),
            ("applications", life.truth_apps),
        ):
            if rows:
                self._write(f"{name}/part-{self._parts:03d}", pl.concat(rows))
                rows.clear()
        self._parts += 1

    def finish(self, params, population, identity, life, plan, defects, records) -> None:
        persons = population.persons.with_columns(
            pl.Series("churn_day", np.where(life.status == 3, life.churn_day, -1)),
            pl.Series("decided_day", np.where(life.status >= 2, life.decide_day, -1)),
            pl.Series("is_silent_leaver", life.silent),
            pl.Series("closes_all_products", life.close_all),
            pl.Series("final_status", life.status),
            identity.abs_client_id_column,
            pl.Series("login_id", identity.login_id),
            pl.Series("holder_id", identity.holder_id),
        ).with_columns(
            pl.when(pl.col("churn_day") >= 0)
            .then(pl.col("churn_day").cast(pl.Date))
            .alias("churn_date"),
            pl.col("birth_day").cast(pl.Date).alias("birth_date"),
            pl.col("join_day").cast(pl.Date).alias("join_date"),
        )
        self._write("persons", persons)
        self._write("companies", population.companies)
        self._write("source_records", pl.concat(records, how="diagonal_relaxed"))
        self._write("contracts", life.book.frame())
        if defects:
            self._write("defects", pl.concat(defects, how="diagonal_relaxed"))
        self._write(
            "delivery_events",
            pl.DataFrame([dataclasses.asdict(e) for e in plan.events])
            if plan.events
            else pl.DataFrame(),
        )
        public = {k: v for k, v in dataclasses.asdict(params).items() if k != "pan_token_key"}
        (self.root / "params.json").write_text(json.dumps(public, default=str, indent=2))
