"""Text → typed values as each contract spells them (decimal comma, spaced thousands, dd.mm.yyyy).

A value that does not convert becomes null here; the parser compares with the input to tell an
empty field from a bad one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from ingestion.contracts.model import Column, FileContract

MONEY = pl.Decimal(18, 2)
POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String,
    "integer": pl.Int64,
    "decimal": MONEY,
    "date": pl.Date,
    "timestamp": pl.Datetime("us"),
    "boolean": pl.Boolean,
}
"""Polars type of each contract type (what ``convert`` returns)."""


def _decimal_text(values: pl.Series, contract: FileContract) -> pl.Series:
    for separator in contract.thousands_separators:
        values = values.str.replace_all(separator, "", literal=True)
    if contract.decimal_mark != ".":
        values = values.str.replace(contract.decimal_mark, ".", literal=True)
    return values


def convert(values: pl.Series, column: Column, contract: FileContract) -> pl.Series:
    """Typed series (null where the text is empty or does not convert)."""
    match column.type:
        case "string":
            return values
        case "integer":
            return values.str.strip_chars().cast(pl.Int64, strict=False)
        case "decimal":
            return _decimal_text(values.str.strip_chars(), contract).cast(MONEY, strict=False)
        case "date":
            return values.str.strptime(pl.Date, contract.date_format, strict=False)
        case "timestamp":
            return values.str.strptime(pl.Datetime("us"), contract.timestamp_format, strict=False)
        case "boolean":
            mapping = {v: True for v in column.true_values} | {
                v: False for v in column.false_values
            }
            return values.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    raise ValueError(f"unknown type {column.type!r} of column {column.name}")


def parse_amount(text: str, contract: FileContract) -> Decimal | None:
    """One amount as written in a trailer or a broken row; ``None`` if it is not a number."""
    for separator in contract.thousands_separators:
        text = text.replace(separator, "")
    text = text.strip().replace(contract.decimal_mark, ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
