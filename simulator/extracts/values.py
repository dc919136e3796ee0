"""Polars expressions that print values the way each source system prints them."""

from __future__ import annotations

import polars as pl


def rub_comma(kopecks: pl.Expr) -> pl.Expr:
    """``-1234,56``: roubles with a decimal comma, as АБС exports them."""
    whole = (kopecks.abs() // 100).cast(pl.String)
    cents = (kopecks.abs() % 100).cast(pl.String).str.pad_start(2, "0")
    sign = pl.when(kopecks < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, whole, pl.lit(","), cents])


def rub_spaced(kopecks: pl.Expr, sep: str = "\u00a0") -> pl.Expr:
    """``1 234 567,89`` with a (no-break) space between thousands, as some reports print."""
    whole = (kopecks.abs() // 100).cast(pl.String)
    grouped = (
        whole.str.reverse().str.replace_all(r"(\d{3})", "$1" + sep).str.reverse().str.strip_chars()
    )
    cents = (kopecks.abs() % 100).cast(pl.String).str.pad_start(2, "0")
    sign = pl.when(kopecks < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, grouped.str.strip_chars(sep), pl.lit(","), cents])


def ddmmyyyy(date: pl.Expr) -> pl.Expr:
    return date.dt.strftime("%d.%m.%Y")


def ddmmyyyy_hms(ts: pl.Expr) -> pl.Expr:
    return ts.dt.strftime("%d.%m.%Y %H:%M:%S")


def iso_utc_ms(ts: pl.Expr) -> pl.Expr:
    """``2025-03-01T07:15:42.123Z`` from a naive UTC datetime."""
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def yesno(flag: pl.Expr, yes: str = "1", no: str = "0") -> pl.Expr:
    return pl.when(flag).then(pl.lit(yes)).otherwise(pl.lit(no))
