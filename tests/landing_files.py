"""Small readers for landing files, for tests only (ingestion has the real parsers)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl


def read_abs_csv(path: Path) -> pl.DataFrame:
    """A core-banking CSV without its trailer; every field a string."""
    text = path.read_bytes().decode("cp1251" if _is_cp1251(path) else "utf-8")
    lines = text.split("\r\n")
    body = "\r\n".join(line for line in lines[:-2]) + "\r\n"
    return pl.read_csv(
        io.StringIO(body),
        separator=";",
        quote_char=None,
        infer_schema=False,
        truncate_ragged_lines=True,
    )


def trailer(path: Path) -> list[str]:
    raw = path.read_bytes()
    last = raw.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    return last.decode("cp1251" if _is_cp1251(path) else "utf-8").strip().split(";")


def _is_cp1251(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def read_pipe(path: Path) -> pl.DataFrame:
    lines = path.read_text(encoding="utf-8").splitlines()
    return pl.read_csv(
        io.StringIO("\n".join(lines[:-1]) + "\n"),
        separator="|",
        quote_char=None,
        infer_schema=False,
    )


def all_files(landing: Path, system: str, prefix: str) -> list[Path]:
    return sorted((landing / system).glob(f"*/{prefix}*"))


def read_dbo(landing: Path, entity: str) -> pl.DataFrame:
    """Every row of a digital-banking entity's JSON-lines files, in delivery order."""
    rows = [
        json.loads(line)
        for path in all_files(landing, "dbo", f"{entity}_")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return pl.DataFrame(rows, infer_schema_length=None)
