"""Raw, quarantine and load-audit tables in DuckDB, created from the file contracts.

Raw tables keep the contract's columns, typed, plus lineage: business date (the partition),
the load that wrote the row (a row of ``audit.file_loads``) and the line it came from.
"""

from __future__ import annotations

import duckdb

from ingestion.contracts.model import FileContract

LINEAGE_COLUMNS = {
    "_business_date": "DATE",
    "_load_id": "VARCHAR",
    "_line_number": "BIGINT",
    "_extra_fields": "VARCHAR",
}
QUARANTINE_COLUMNS = {
    "_business_date": "DATE",
    "_load_id": "VARCHAR",
    "file_name": "VARCHAR",
    "line_number": "BIGINT",
    "field": "VARCHAR",
    "reason": "VARCHAR",
    "detail": "VARCHAR",
    "raw_text": "VARCHAR",
    "is_rejected": "BOOLEAN",
}
AUDIT_COLUMNS = {
    "load_id": "VARCHAR",
    "table_name": "VARCHAR",
    "business_date": "DATE",
    "file_path": "VARCHAR",
    "file_name": "VARCHAR",
    "delivery_date": "DATE",
    "size_bytes": "BIGINT",
    "sha256": "VARCHAR",
    "detected_encoding": "VARCHAR",
    "rows_read": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_quarantined": "BIGINT",
    "rows_flagged": "BIGINT",
    "trailer_rows": "BIGINT",
    "trailer_sum": "DECIMAL(38,2)",
    "computed_sum": "DECIMAL(38,2)",
    "extra_columns": "VARCHAR[]",
    "missing_optional_columns": "VARCHAR[]",
    "status": "VARCHAR",
    "error_reason": "VARCHAR",
    "error": "VARCHAR",
    "duplicate_of": "VARCHAR",
    "started_at": "TIMESTAMP",
    "finished_at": "TIMESTAMP",
}
AUDIT_TABLE = "audit.file_loads"


def _ddl(table: str, columns: dict[str, str]) -> str:
    body = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    return f"create table if not exists {table} ({body})"


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]):
    """A column a contract gained later is added to the existing table, never by rebuilding it."""
    schema, name = table.split(".")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, kind in columns.items():
        if column not in existing:
            con.execute(f'alter table {table} add column "{column}" {kind}')


def raw_columns(contract: FileContract) -> dict[str, str]:
    return {c.name: c.duckdb_type for c in contract.columns} | LINEAGE_COLUMNS


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: FileContract) -> None:
    for schema in ("raw", "quarantine", "audit"):
        con.execute(f"create schema if not exists {schema}")
    for table, columns in (
        (f"raw.{contract.table}", raw_columns(contract)),
        (f"quarantine.{contract.table}", QUARANTINE_COLUMNS),
        (AUDIT_TABLE, AUDIT_COLUMNS),
    ):
        con.execute(_ddl(table, columns))
        _add_missing_columns(con, table, columns)


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
