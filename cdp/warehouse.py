"""The DuckDB warehouse file: one place that opens it, so every writer uses the same path."""

from __future__ import annotations

import duckdb

from cdp.settings import Settings


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; DuckDB allows one read-write process per file (see the README)."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(settings.warehouse_path), read_only=read_only)
