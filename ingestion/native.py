"""The fast path for the big unquoted delimited files (АБС ``;`` CSV, card ``|`` files).

The line-by-line path (``reader`` → ``records``) decodes, splits lines and counts separators in
Python-driven Polars, one chunk after another. Here the file is first transcoded to UTF-8 in
blocks by a compiled loop (``cdp.transcode``), which counts its lines on the way, then:

1. Polars' streaming CSV scan with a one-column schema reads every line whole, its row index
   being the physical line number, and keeps the lines whose separator count is wrong — the
   broken rows and the trailer.
2. A second scan splits the fields of every line (short lines padded, long ones cut); the
   misfit lines and the trailer are dropped and the good rows go to the parser in batches.

Both passes number lines exactly as the line-by-line reader does (``\n`` ends a line, ``\r``
before it is dropped). DuckDB's ``read_csv`` with ``store_rejects`` found the same lines until
2026-12-03, but the line numbers of its rejects drift after a bare ``\n`` inside a CRLF file
(a value with a line break): on the bank-300k transactions snapshot 95 % of them were one to
three lines late, so the file fell back to the line-by-line path; on smaller files the same
defect stopped its parser ("state machine reached an invalid state"). Measured on that file
(5.6 GB as UTF-8): DuckDB's rejects scan 7.5 s, Polars' misfit scan ≈ 5 s.

The rejected lines become records (``line_break_in_value`` etc.) through the same assembler as
on the line-by-line path, and typing, rejects and flags stay in ``parse`` (``values``,
``field_rules``): one implementation of the rules. Anything this path cannot account for
exactly — a trailer that is not the file's last physical line (lines lost or joined), bytes
the encoding cannot hold, an empty line, a last line that is not the trailer — raises
``NativeUnavailable`` before a row is handed out, and the parser reads the file line by line,
which gives the precise verdict.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cdp.transcode import file_to_utf8
from ingestion.contracts.model import FileContract
from ingestion.reader import UNIT_SEPARATOR
from ingestion.records import RecordAssembler, Records

BLOCK_BYTES = 32 * 2**20
BATCH_ROWS = 250_000
"""Rows asked of Polars' scan at a time (≈ 0.5 GB of strings for the widest file, so memory
stays flat: 1.5 GB peak over the 5.6 GB postings snapshot of bank-300k, with a slow consumer
too); the loader joins batches into inserts of ``load.INSERT_ROWS``."""
MIN_BYTES = 16 * 2**20
"""Smaller files stay on the line-by-line path: a temporary folder, a transcoded copy and
two scans cost ≈ 50 ms per file, more than such a file takes to parse."""


class NativeUnavailable(Exception):
    """The native reader cannot vouch for this file; read it line by line instead."""


def applies(contract: FileContract, size: int) -> bool:
    """Big unquoted delimited files with a header and a trailer: the trailer closes the file,
    so the misfit lines (the trailer among them) account for every line."""
    return (
        size >= MIN_BYTES
        and contract.format == "delimited"
        and not contract.quote
        and contract.header
        and contract.trailer is not None
    )


@dataclass(frozen=True)
class RejectedLine:
    line_number: int
    text: str


def _count_lines(path: Path) -> int:
    """Physical lines of a file, the last one counted whether or not a line end closes it
    (``\\n`` is the same byte in cp1251 and UTF-8)."""
    breaks, last = 0, b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            breaks += block.count(b"\n")
            last = block[-1:]
    return breaks + (0 if last == b"\n" else 1)


def transcode(source: Path, encoding: str, target: Path) -> int:
    """``source`` re-encoded as UTF-8 into ``target`` in blocks (``cdp.transcode``: constant
    memory, ≈ 600 MB/s on one core for cp1251); returns its physical lines. Bytes the encoding
    cannot hold raise ``NativeUnavailable`` (the line-by-line reader then names the line)."""
    try:
        line_ends = file_to_utf8(source, encoding, target)
    except UnicodeDecodeError as error:
        raise NativeUnavailable(f"{source.name} is not {encoding}: {error.reason}") from error
    with target.open("rb") as handle:
        handle.seek(max(target.stat().st_size - 1, 0))
        last = handle.read(1)
    return line_ends + (0 if last == b"\n" else 1)  # as _count_lines


class NativeRead:
    """One file's header, rejected lines and trailer, and its good rows on demand; use as a
    context manager (it owns a temporary folder with the UTF-8 copy)."""

    def __init__(self, path: Path, encoding: str, contract: FileContract):
        self.path = path
        self.encoding = encoding
        self.contract = contract
        self.header: str = ""
        self.names: list[str] = []
        self.rejected: list[RejectedLine] = []
        """Lines that do not split into the header's fields, trailer excluded."""
        self.trailer: RejectedLine | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="cdp-native-")

    def __enter__(self) -> NativeRead:
        return self

    def __exit__(self, *exc) -> None:
        self._folder.cleanup()

    # --- reading ---------------------------------------------------------------------------

    def read_header(self) -> str:
        """The header line, decoded; the parser checks it against the contract before the
        (expensive) read."""
        with self.path.open("rb") as handle:
            first = handle.readline()
        try:
            self.header = first.decode(self.encoding).rstrip("\r\n")
        except UnicodeDecodeError as error:
            raise NativeUnavailable("header does not decode") from error
        return self.header

    def read(self, names: list[str]) -> None:
        """Transcode, find the lines that do not split into the header's fields and account
        for every line of the file."""
        if len(set(names)) != len(names) or not self.header:
            raise NativeUnavailable("duplicate or empty header names")
        self.names = names
        if self.encoding == "utf-8-sig":
            raise NativeUnavailable("byte order mark")
        if self.encoding == "utf-8":
            source, physical = self.path, _count_lines(self.path)
        else:
            source = Path(self._folder.name) / "utf8.csv"
            physical = transcode(self.path, self.encoding, source)
        self._source = source
        self._check_lines(self._misfits(source, len(names) - 1), physical)

    def _misfits(self, source: Path, separators: int) -> list[RejectedLine]:
        """Every line after the header whose separator count is not ``separators``, the trailer
        among them, with its physical line number (an empty line is a null row)."""
        lines = self._scan({"text": pl.String}, UNIT_SEPARATOR.decode(), has_header=False)
        fields = pl.col("text").str.count_matches(self.contract.separator, literal=True)
        misfits = lines.filter((pl.col("line_number") > 1) & (fields.fill_null(-1) != separators))
        try:
            # batches: ``collect(engine="streaming")`` of the same query held the whole file
            # (5.8 GB peak on the 5.6 GB transactions snapshot of bank-300k; 0.45 GB this way)
            return [
                RejectedLine(n, text or "")
                for frame in misfits.collect_batches()
                for n, text in frame.iter_rows()
            ]
        except pl.exceptions.PolarsError as error:  # e.g. a unit separator inside a line
            raise NativeUnavailable(f"Polars could not split {self.path.name}: {error}") from error

    def _scan(self, schema: dict, separator: str, has_header: bool, **options) -> pl.LazyFrame:
        """Polars' streaming CSV scan of the UTF-8 copy with each row's physical
        ``line_number``: no quoting, so every line is one row."""
        return pl.scan_csv(
            self._source,
            separator=separator,
            quote_char=None,
            has_header=has_header,
            schema=schema,
            **options,
        ).with_row_index("line_number", offset=2 if has_header else 1)

    def _check_lines(self, misfits: list[RejectedLine], physical: int) -> None:
        """The good rows are all lines but the header and the misfits; the last line must be
        the trailer and no line may be empty (it might join the next record)."""
        if not misfits or misfits[-1].line_number != physical:
            raise NativeUnavailable("the last line is a data row, not a trailer")
        if any(line.text == "" for line in misfits):
            raise NativeUnavailable("an empty line")
        if not misfits[-1].text.startswith(self.contract.trailer.marker):
            raise NativeUnavailable("the last line is not the trailer")
        self.trailer = misfits[-1]
        self.rejected = misfits[:-1]

    def records(self, expected: int) -> Records:
        """The rejected lines as records, by the same assembler as on the line-by-line path:
        each run of adjacent rejected lines is fed as one final chunk, so a line break inside
        a value (two short lines) is one ``line_break_in_value`` record. A line without a
        separator just before a good line might be the first half of a record with that
        line, which the rejects cannot tell: such a file goes line by line."""
        separator = self.contract.separator
        records = Records()
        runs: list[list[RejectedLine]] = []
        for line in self.rejected:
            if runs and runs[-1][-1].line_number + 1 == line.line_number:
                runs[-1].append(line)
            else:
                runs.append([line])
        for run in runs:
            last = run[-1]
            if separator not in last.text and last.line_number + 1 != self.trailer.line_number:
                raise NativeUnavailable(f"line {last.line_number} may join the line after it")
            assembler = RecordAssembler(expected, separator, None)
            texts = pl.Series("line", [r.text for r in run], dtype=pl.String)
            _, found = assembler.feed(run[0].line_number, texts, final=True)
            records.rejected.extend(found.rejected)
        return records

    # --- handing rows out ------------------------------------------------------------------

    def batches(self) -> Iterator[pl.DataFrame]:
        """Good rows as frames of ``line_number`` plus the source columns (empty → null), in
        file order: every line split at the separator (short lines padded, long ones cut; no
        empty line: checked), the misfit lines and the trailer dropped."""
        dropped = pl.Series([r.line_number for r in self.rejected], dtype=pl.Int64).implode()
        scan = self._scan(
            dict.fromkeys(self.names, pl.String),
            self.contract.separator,
            has_header=True,
            new_columns=self.names,
            truncate_ragged_lines=True,
        )
        seen = 0
        for frame in scan.collect_batches(chunk_size=BATCH_ROWS):
            seen += frame.height
            numbers = frame["line_number"].cast(pl.Int64)
            keep = ~numbers.is_in(dropped) & (numbers < self.trailer.line_number)
            yield frame.with_columns(line_number=numbers).filter(keep)
        if seen != self.trailer.line_number - 1:
            raise RuntimeError(
                f"{self.path.name}: the field scan read {seen + 1} lines, the line scan more"
            )
