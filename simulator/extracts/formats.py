"""How each source system physically writes a file: encoding, separator, quoting, trailer.

The simulator formats every value as the source system would (decimal comma, ``dd.mm.yyyy``,
minor units, ISO timestamps) before it reaches these writers, which only add framing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl

from cdp.transcode import append_transcoded

Kind = Literal["csv", "fixed", "jsonl"]


@dataclass(frozen=True)
class FileFormat:
    """Physical layout of one file type. ``widths``/``right_aligned`` (column positions) only for
    fixed width; ``trailer`` is the template of the last line, filled with the row count and the
    control sum."""

    kind: Kind
    encoding: str = "utf-8"
    separator: str = ";"
    line_terminator: str = "\n"
    quote: bool = False
    header: bool = True
    trailer: str | None = None
    widths: tuple[int, ...] = ()
    right_aligned: frozenset[int] = frozenset()

    def with_encoding(self, encoding: str) -> FileFormat:
        return replace(self, encoding=encoding)


ABS_CSV = FileFormat("csv", "cp1251", ";", "\r\n", trailer="ИТОГО;{rows};{total}")
CARDS_PIPE = FileFormat("csv", "utf-8", "|", "\n", trailer="TRL|{rows}|{total}")
DBO_JSONL = FileFormat("jsonl", "utf-8")
CC_CSV = FileFormat("csv", "utf-8-sig", ",", "\r\n", quote=True)


CHUNK_ROWS = 100_000
"""Rows rendered at a time: keeps the text of one chunk (not of a month) in memory, and a
cp1251 chunk's UTF-8 text and its re-encoded copy (~25 MB each) below glibc's mmap threshold."""


def write_rows(frame: pl.DataFrame, fmt: FileFormat, path: Path) -> None:
    """Append rows (no header) to a file in its layout and encoding.

    UTF-8 goes straight from polars to the file; cp1251 chunks are rendered as UTF-8 and
    re-encoded by ``cdp.transcode``'s compiled loop, which runs without the GIL."""
    if fmt.kind == "fixed":
        line = pl.concat_str(
            [
                _fixed(pl.col(c).fill_null(""), w, right=i in fmt.right_aligned)
                for i, (c, w) in enumerate(zip(frame.columns, fmt.widths, strict=True))
            ]
        )
        frame = frame.select(line.alias("line"))
    for start in range(0, frame.height, CHUNK_ROWS):
        chunk = frame.slice(start, CHUNK_ROWS)
        if fmt.encoding == "cp1251":
            buf = io.BytesIO()
            _render(chunk, fmt, buf)
            append_transcoded(str(path), [buf.getvalue()], "utf-8", "cp1251")
        else:
            with path.open("ab") as fh:
                _render(chunk, fmt, fh)


def _render(frame: pl.DataFrame, fmt: FileFormat, out: BinaryIO) -> None:
    if fmt.kind == "jsonl":
        frame.write_ndjson(out)
        return
    frame.write_csv(
        out,
        include_header=False,
        separator=fmt.separator if fmt.kind == "csv" else ",",
        line_terminator=fmt.line_terminator,
        quote_style="necessary" if fmt.quote and fmt.kind == "csv" else "never",
        null_value="",
    )


def render_header(columns: list[str], fmt: FileFormat) -> str:
    if fmt.kind != "csv" or not fmt.header:
        return ""
    if fmt.quote:
        return fmt.separator.join(f'"{c}"' for c in columns) + fmt.line_terminator
    return fmt.separator.join(columns) + fmt.line_terminator


def _fixed(col: pl.Expr, width: int, *, right: bool) -> pl.Expr:
    padded = col.str.pad_start(width) if right else col.str.pad_end(width)
    return padded.str.slice(0, width)
