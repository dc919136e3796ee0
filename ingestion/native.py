"""The fast path for the big unquoted delimited files (АБС ``;`` CSV, card ``|`` files).

The line-by-line path (``reader`` → ``records``) decodes, splits lines and counts separators in
Python-driven Polars, one chunk after another. Here:

1. A compiled scan of the file's own bytes (cp1251 or UTF-8: ``\\n`` and the separator are one
   byte in both) counts every line's separators, numbers the lines as the line-by-line reader
   does (``\\n`` ends a line, ``\\r`` before it is dropped), checks that every byte belongs to
   the encoding, and keeps the lines whose separator count is wrong — the broken rows and the
   trailer — with their byte ranges.
2. The file is then split into pieces at line ends; each piece is copied to UTF-8 (a UTF-8
   file is scanned whole, without a copy) and Polars' streaming CSV scan splits its fields
   (short lines padded, long ones cut); the misfit lines and the trailer are dropped and the
   good rows go to the parser in batches. The UTF-8 copy on disk is one piece at a time, read
   while the page cache still holds it (the whole file's copy was 19 GB for the bank-1m
   postings snapshot, and it was read twice).

DuckDB's ``read_csv`` with ``store_rejects`` found the broken lines until 2026-12-03, but the
line numbers of its rejects drift after a bare ``\\n`` inside a CRLF file (a value with a line
break): on the bank-300k transactions snapshot 95 % of them were one to three lines late.

The rejected lines become records (``line_break_in_value`` etc.) through the same assembler as
on the line-by-line path, and typing, rejects and flags stay in ``parse`` (``values``,
``field_rules``): one implementation of the rules. Anything this path cannot account for
exactly — a trailer that is not the file's last physical line (lines lost or joined), bytes
the encoding cannot hold, an empty line, a last line that is not the trailer — raises
``NativeUnavailable`` before a row is handed out, and the parser reads the file line by line,
which gives the precise verdict.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import polars as pl

from cdp.transcode import Utf8ToSingleByte, code_page_table, decoding_tables, file_to_utf8
from ingestion.contracts.model import FileContract
from ingestion.records import RecordAssembler, Records

BLOCK_BYTES = 32 * 2**20
PIECE_BYTES = 256 * 2**20
"""Source bytes per piece of the second pass (copied to UTF-8, then split by Polars)."""
BATCH_ROWS = 250_000
"""Rows asked of Polars' scan at a time (≈ 0.5 GB of strings for the widest file, so memory
stays flat); the loader joins batches into inserts of ``load.INSERT_ROWS``."""
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
        and len(contract.separator.encode()) == 1
        and not contract.quote
        and contract.header
        and contract.trailer is not None
    )


@dataclass(frozen=True)
class RejectedLine:
    line_number: int
    text: str


@dataclass(frozen=True)
class Piece:
    """Bytes ``start``..``end`` of the file: whole lines, the first of them ``first_line``."""

    start: int
    end: int
    first_line: int
    lines: int


@dataclass
class LineScan:
    """What the byte scan found: physical lines, misfit lines (number, start, end) and the
    pieces the file is cut into."""

    physical: int
    misfits: list[tuple[int, int, int]]
    pieces: list[Piece]


def scan_lines(path: Path, encoding: str, separator: bytes, expected: int) -> LineScan:
    """Lines of ``path`` whose count of ``separator`` is not ``expected`` (the header, line 1,
    excepted; an empty line always), with every byte checked against ``encoding``."""
    if encoding == "utf-8":
        # The compiled UTF-8 → latin-1 loop validates as Python's decoder does, 3x as fast
        # (0.43 GB/s for Python's on a card file); what it writes is not needed.
        defined, validate = np.ones(256, np.bool_), Utf8ToSingleByte(code_page_table("latin-1"))
    elif (tables := decoding_tables(encoding)) is not None:
        defined, validate = tables[0] > 0, None
    else:
        raise NativeUnavailable(f"no byte scan for {encoding}")
    state = np.array([1, 0, 0, 0], np.int64)  # line number, its first byte, separators, last byte
    misfits: list[tuple[int, int, int]] = []
    cuts = [(0, 1)]  # (byte offset, line number) after the last line end of each block
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            if validate is not None:
                try:
                    validate(block)
                except UnicodeDecodeError as error:
                    raise NativeUnavailable(f"not UTF-8 near byte {offset}") from error
            found = np.empty((block.count(b"\n") + 1, 3), np.int64)
            count = _scan_block(
                np.frombuffer(block, np.uint8), offset, separator[0], expected, defined, state,
                found,
            )  # fmt: skip
            if count < 0:
                raise NativeUnavailable(f"byte {offset - count - 1} is not {encoding}")
            misfits.extend(map(tuple, found[:count].tolist()))
            offset += len(block)
            if int(state[1]) - cuts[-1][0] >= PIECE_BYTES:
                cuts.append((int(state[1]), int(state[0])))
    if validate is not None:
        try:
            validate(b"", final=True)
        except UnicodeDecodeError as error:
            raise NativeUnavailable("the file ends inside a UTF-8 character") from error
    line, line_start, separators, last = (int(v) for v in state)
    physical = line - 1
    if line_start < offset:  # a last line without a line end
        if last == ord("\r"):
            raise NativeUnavailable("the file ends with a carriage return")
        physical = line
        if separators != expected:
            misfits.append((line, line_start, offset))
    bounds = [*cuts, (offset, physical + 1)]
    pieces = [
        Piece(start, end, first, following - first)
        for (start, first), (end, following) in itertools.pairwise(bounds)
        if end > start
    ]
    return LineScan(physical, misfits, pieces)


@numba.njit(cache=True, nogil=True)
def _scan_block(block, offset, separator, expected, defined, state, misfits):  # pragma: no cover
    """One block of the byte scan (compiled; tested through ``scan_lines``): misfit lines that
    end in it go to ``misfits``; returns how many, or -(i + 1) for an undefined byte at i."""
    line = state[0]
    start = state[1]
    count = state[2]
    last = state[3]
    found = 0
    for i in range(block.size):
        b = block[i]
        if b == 10:
            end = offset + i - (1 if last == 13 else 0)
            if line > 1 and (count != expected or end == start):
                misfits[found, 0] = line
                misfits[found, 1] = start
                misfits[found, 2] = end
                found += 1
            line += 1
            start = offset + i + 1
            count = 0
        elif b == separator:
            count += 1
        elif b >= 128 and not defined[b]:
            return -(i + 1)
        last = b
    state[0] = line
    state[1] = start
    state[2] = count
    state[3] = last
    return found


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
        """Find the lines that do not split into the header's fields and account for every
        line of the file."""
        if len(set(names)) != len(names) or not self.header:
            raise NativeUnavailable("duplicate or empty header names")
        self.names = names
        if self.encoding == "utf-8-sig":
            raise NativeUnavailable("byte order mark")
        separator = self.contract.separator.encode()
        scan = scan_lines(self.path, self.encoding, separator, len(names) - 1)
        # A UTF-8 file needs no copy: Polars scans it whole, in one piece.
        self._pieces = (
            [Piece(0, self.path.stat().st_size, 1, scan.physical)]
            if self.encoding == "utf-8"
            else scan.pieces
        )
        self._check_lines(self._texts(scan.misfits), scan.physical)

    def _texts(self, misfits: list[tuple[int, int, int]]) -> list[RejectedLine]:
        """The misfit lines read back from the file and decoded (their bytes were checked)."""
        with self.path.open("rb") as handle:
            lines = []
            for number, start, end in misfits:
                handle.seek(start)
                lines.append(RejectedLine(number, handle.read(end - start).decode(self.encoding)))
        return lines

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
        file order, piece by piece: every line split at the separator (short lines padded, long
        ones cut; no empty line: checked), the header, the misfit lines and the trailer
        dropped."""
        dropped = pl.Series([r.line_number for r in self.rejected], dtype=pl.Int64).implode()
        copy = Path(self._folder.name) / "piece.utf8.csv"
        for piece in self._pieces:
            if self.encoding == "utf-8":
                source = self.path
            else:
                file_to_utf8(self.path, self.encoding, copy, piece.start, piece.end)
                source = copy
            scan = pl.scan_csv(
                source,
                separator=self.contract.separator,
                quote_char=None,
                has_header=False,
                schema=dict.fromkeys(self.names, pl.String),
                truncate_ragged_lines=True,
            ).with_row_index("line_number", offset=piece.first_line)
            seen = 0
            for frame in scan.collect_batches(chunk_size=BATCH_ROWS):
                seen += frame.height
                numbers = frame["line_number"].cast(pl.Int64)
                keep = (
                    (numbers > 1) & ~numbers.is_in(dropped) & (numbers < self.trailer.line_number)
                )
                yield frame.with_columns(line_number=numbers).filter(keep)
            if seen != piece.lines:
                raise RuntimeError(
                    f"{self.path.name}: Polars read {seen} lines from line {piece.first_line}, "
                    f"the byte scan counted {piece.lines}"
                )
