"""The fast path for the big unquoted delimited files (АБС ``;`` CSV, card ``|`` files).

The line-by-line path (``reader`` → ``records``) decodes, splits lines and counts separators in
Python-driven Polars, one chunk after another. Here the file is first transcoded to UTF-8 by
``iconv`` (one process per core, on pieces cut at line ends), then:

1. DuckDB's parallel ``read_csv`` scans it once with ``store_rejects``: every line whose field
   count is wrong lands in its rejects table with its physical line number and text — the
   broken rows and the trailer. Nothing else is kept from this scan (a ``count(*)``).
2. Polars' streaming CSV scan splits the fields of every line (short lines padded, long ones
   cut), so its row index is the physical line number; the rejected lines and the trailer are
   dropped and the good rows go to the parser in batches.

Measured on the 1.45 GB transactions file (1.9 GB as UTF-8), in-process CPU seconds: the
rejects scan ≈ 2.7; Polars' split ≈ 4; DuckDB's own scan exported to Arrow would be ≈ 11, and
a staging table numbered with ``row_number() over ()`` ≈ 32 — more than the whole
line-by-line parse.

The rejected lines become records (``line_break_in_value`` etc.) through the same assembler as
on the line-by-line path, and typing, rejects and flags stay in ``parse`` (``values``,
``field_rules``): one implementation of the rules. Anything this path cannot account for
exactly — lines that do not add up, a DuckDB error type other than a wrong field count, bytes
the encoding cannot hold, an empty line, a last line that is not the trailer — raises
``NativeUnavailable`` before a row is handed out, and the parser reads the file line by line,
which gives the precise verdict.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ingestion.contracts.model import FileContract
from ingestion.records import RecordAssembler, Records

BLOCK_BYTES = 32 * 2**20
BATCH_ROWS = 1_000_000
"""Rows asked of Polars' scan at a time (≈ 0.5 GB of strings for the widest file, so memory
stays flat). Its streaming engine hands out smaller batches (≈ 160 k rows of the postings
file); the loader joins them into inserts of ``load.INSERT_ROWS``."""
MEMORY_LIMIT = "1GB"
"""DuckDB's budget for the rejects scan, which keeps nothing but the rejected lines; beyond it
DuckDB spills to the temporary folder."""
MIN_BYTES = 16 * 2**20
"""Smaller files stay on the line-by-line path: a DuckDB connection, a temporary folder and a
transcoding process cost ≈ 50 ms per file, more than such a file takes to parse."""
STRUCTURAL_ERRORS = ("TOO MANY COLUMNS", "MISSING COLUMNS")


class NativeUnavailable(Exception):
    """The native reader cannot vouch for this file; read it line by line instead."""


def applies(contract: FileContract, size: int) -> bool:
    """Big unquoted delimited files with a header and a trailer: the trailer closes the file,
    so DuckDB's rejects (the trailer among them) account for every line."""
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


def _count_lines(path: Path) -> tuple[int, bool]:
    """Physical lines of a file and whether it ends with a line end (``\\n`` is the same byte in
    cp1251 and UTF-8)."""
    breaks, last = 0, b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            breaks += block.count(b"\n")
            last = block[-1:]
    ends = last == b"\n"
    return breaks + (0 if ends else 1), ends


def transcode(source: Path, encoding: str, target: Path, parts: int | None = None) -> None:
    """``source`` re-encoded as UTF-8 into ``target``, streaming: by ``iconv`` when installed
    (≈ 250 MB/s a process), one process per core on pieces cut at line ends, else by Python's
    codec in blocks. Bytes the encoding cannot hold raise ``NativeUnavailable`` (the
    line-by-line reader then names the offset)."""
    iconv = shutil.which("iconv")
    if not iconv:
        _transcode_in_python(source, encoding, target)
        return
    parts = parts or os.cpu_count() or 1
    if "\n".encode(encoding) != b"\n":
        parts = 1  # a line end is not one byte: the file cannot be cut at line ends
    bounds = _line_bounds(source, parts)
    pieces = [target] + [target.with_name(f"{target.name}.{i}") for i in range(1, len(bounds) - 1)]
    with ThreadPoolExecutor(len(pieces)) as pool:
        done = list(
            pool.map(
                lambda piece, start, end: _iconv(iconv, source, encoding, start, end, piece),
                pieces,
                bounds[:-1],
                bounds[1:],
            )
        )
    if not all(done):
        raise NativeUnavailable(f"iconv could not read {source.name} as {encoding}")
    with target.open("ab") as out:
        for piece in pieces[1:]:
            with piece.open("rb") as handle:
                shutil.copyfileobj(handle, out, BLOCK_BYTES)
            piece.unlink()


def _line_bounds(path: Path, parts: int) -> list[int]:
    """Byte offsets cutting ``path`` into about ``parts`` pieces, each after a line end."""
    size = path.stat().st_size
    bounds = [0]
    with path.open("rb") as handle:
        for k in range(1, parts):
            handle.seek(max(size * k // parts, bounds[-1]))
            handle.readline()
            if handle.tell() < size:
                bounds.append(handle.tell())
    return [*bounds, size]


def _iconv(iconv: str, source: Path, encoding: str, start: int, end: int, target: Path) -> bool:
    """Bytes ``start``..``end`` of ``source`` through ``iconv`` into ``target``; the kernel
    copies them into the pipe (``sendfile``), so feeding costs no Python time."""
    with target.open("wb") as out, source.open("rb") as handle:
        process = subprocess.Popen(
            [iconv, "-f", encoding.upper(), "-t", "UTF-8"],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        offset = start
        try:
            while offset < end:
                sent = os.sendfile(process.stdin.fileno(), handle.fileno(), offset, end - offset)
                if sent == 0:
                    break
                offset += sent
        except BrokenPipeError:
            pass  # iconv stopped at a byte it cannot read; its exit code says so
        finally:
            process.stdin.close()
        return process.wait() == 0 and offset == end


def _transcode_in_python(source: Path, encoding: str, target: Path) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with source.open("rb") as handle, target.open("wb") as out:
            while block := handle.read(BLOCK_BYTES):
                out.write(decoder.decode(block).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as error:
        raise NativeUnavailable(f"{source.name} is not {encoding}") from error


class NativeRead:
    """One file's header, rejected lines and trailer, and its good rows on demand; use as a
    context manager (it owns a temporary folder with the UTF-8 copy and DuckDB's spill files)."""

    def __init__(self, path: Path, encoding: str, contract: FileContract):
        self.path = path
        self.encoding = encoding
        self.contract = contract
        self.header: str = ""
        self.names: list[str] = []
        self.rejected: list[RejectedLine] = []
        """Lines DuckDB could not split into the header's fields, trailer excluded."""
        self.trailer: RejectedLine | None = None
        self.good_rows = 0
        self._folder = tempfile.TemporaryDirectory(prefix="cdp-native-")
        self._con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> NativeRead:
        return self

    def __exit__(self, *exc) -> None:
        if self._con is not None:
            self._con.close()
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
        """Transcode, find the rejected lines and account for every line of the file."""
        if len(set(names)) != len(names) or not self.header:
            raise NativeUnavailable("duplicate or empty header names")
        self.names = names
        if self.encoding == "utf-8-sig":
            raise NativeUnavailable("byte order mark")
        source = self.path
        with ThreadPoolExecutor(1) as counter:  # counts lines while iconv transcodes
            counting = counter.submit(_count_lines, self.path)
            if self.encoding != "utf-8":
                source = Path(self._folder.name) / "utf8.csv"
                transcode(self.path, self.encoding, source)
            physical, ends_with_line_end = counting.result()
        with self.path.open("rb") as handle:
            crlf = handle.readline().endswith(b"\r\n")
        self._con = con = duckdb.connect(
            config={
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": str(Path(self._folder.name) / "spill"),
                "preserve_insertion_order": True,
            }
        )
        columns = "{" + ", ".join(f"{_literal(n)}: 'VARCHAR'" for n in names) + "}"
        new_line = "'\\r\\n'" if crlf else "'\\n'"
        # literals, not parameters: binding a parameter costs seconds on a first call
        self._source = source
        self._scan = (
            f"read_csv({_literal(str(source))}, columns = {columns}, header = true, "
            f"delim = {_literal(self.contract.separator)}, quote = '', escape = '', "
            f"new_line = {new_line}, auto_detect = false, parallel = true"
        )
        try:
            # fetchall: the rejects table exists once the result is consumed to its end
            [(self.good_rows,)] = con.execute(
                f"select count(*) from {self._scan}, store_rejects = true, "
                "rejects_table = 'rejects', rejects_scan = 'reject_scans')"
            ).fetchall()
        except duckdb.Error as error:
            raise NativeUnavailable(f"DuckDB could not read {self.path.name}: {error}") from error
        self._collect_rejects(physical, ends_with_line_end)

    def _collect_rejects(self, physical: int, ends_with_line_end: bool) -> None:
        con = self._con
        known = ", ".join(_literal(kind) for kind in STRUCTURAL_ERRORS)
        kinds = con.execute(
            f"select distinct error_type::varchar from rejects where error_type not in ({known})"
        ).fetchall()
        if kinds:
            raise NativeUnavailable("DuckDB reported " + ", ".join(k for (k,) in kinds))
        lines = con.execute(
            "select line, any_value(csv_line) from rejects group by line order by line"
        ).fetchall()
        rejected = [RejectedLine(int(n), _strip_line_end(t)) for n, t in lines]
        if 1 + self.good_rows + len(rejected) != physical:
            raise NativeUnavailable(
                f"{physical} lines, DuckDB accounts for {1 + self.good_rows + len(rejected)}"
            )
        if any(r.text == "" for r in rejected):
            raise NativeUnavailable("an empty line")
        if not rejected or rejected[-1].line_number != physical:
            raise NativeUnavailable("the last line is a data row, not a trailer")
        if not rejected[-1].text.startswith(self.contract.trailer.marker):
            raise NativeUnavailable("the last line is not the trailer")
        if ends_with_line_end and rejected[-1].text == "":
            raise NativeUnavailable("empty last line")
        self.trailer = rejected[-1]
        self.rejected = rejected[:-1]

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

    def batches(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """Good rows as frames of ``line_number`` plus the source columns (empty → null), in
        file order.

        Every physical line is one row of Polars' scan (no quoting, no empty line: checked),
        so the row index is the line number; the lines DuckDB rejected and the trailer are
        dropped."""
        dropped = pl.Series([r.line_number for r in self.rejected], dtype=pl.Int64)
        scan = pl.scan_csv(
            self._source,
            separator=self.contract.separator,
            quote_char=None,
            has_header=True,
            new_columns=self.names,
            schema=dict.fromkeys(self.names, pl.String),
            truncate_ragged_lines=True,
        ).with_row_index("line_number", offset=2)
        seen = 0
        for frame in scan.collect_batches(chunk_size=rows or BATCH_ROWS):
            seen += frame.height
            numbers = frame["line_number"].cast(pl.Int64)
            keep = ~numbers.is_in(dropped.implode()) & (numbers < self.trailer.line_number)
            yield frame.with_columns(line_number=numbers).filter(keep)
        if seen != self.trailer.line_number - 1:
            raise RuntimeError(f"{self.path.name}: Polars read {seen + 1} lines, DuckDB more")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _strip_line_end(text: str) -> str:
    """DuckDB's ``csv_line`` may carry the previous line's end and its own."""
    return text.lstrip("\r\n").rstrip("\r\n")
