"""Parse one landing file against its contract into typed rows and quarantine rows.

Every record read ends up in exactly one place: loaded (possibly with flags: a field-level
problem such as an invalid phone, recorded in quarantine with ``is_rejected = false``) or
rejected (a row-level problem: broken structure, a value that does not convert, a missing key;
recorded in quarantine with ``is_rejected = true``). A file that cannot be read at all raises
``FileRejected``; the loader then discards whatever it had inserted from that file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ingestion import field_rules, native
from ingestion.contracts.model import Column, FileContract
from ingestion.errors import FileRejected
from ingestion.reader import LineStream, ahead, detect_encoding
from ingestion.records import RecordAssembler, Records
from ingestion.values import POLARS_TYPES, convert, parse_amount

QUARANTINE_SCHEMA = {
    "line_number": pl.Int64,
    "field": pl.String,
    "reason": pl.String,
    "detail": pl.String,
    "raw_text": pl.String,
    "is_rejected": pl.Boolean,
}


@dataclass
class FileOutcome:
    """What one file held; the loader turns it into a load-audit row."""

    encoding: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_flagged: int = 0
    extra_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    trailer_rows: int | None = None
    trailer_sum: Decimal | None = None
    computed_sum: Decimal | None = None


@dataclass(frozen=True)
class ParsedBatch:
    rows: pl.DataFrame
    quarantine: pl.DataFrame


def _quarantine_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA, orient="row")


class FileParser:
    """Streams one file: ``batches()`` yields parsed chunks, ``outcome`` fills up as it goes."""

    def __init__(
        self, contract: FileContract, path: Path, reference_keys: dict[str, pl.Series] | None = None
    ):
        self.contract = contract
        self.path = path
        self.reference_keys = reference_keys or {}
        self.outcome = FileOutcome()
        self._source_names: list[str] = []
        self._sum_parts: list[Decimal] = []
        self._sum_verifiable = True
        self._json = _json_engine() if contract.format == "json_lines" else None
        self._native_records = Records()

    def reject(self, reason: str, detail: str) -> FileRejected:
        return FileRejected(self.path, reason, detail)

    # --- the file as a whole -------------------------------------------------------------

    def batches(self) -> Iterator[ParsedBatch]:
        contract = self.contract
        if self.path.stat().st_size == 0:
            if contract.header or contract.trailer:
                raise self.reject("empty_file", "0 bytes: no header, no trailer")
            self.outcome.encoding = contract.encodings[0]
            return
        self.outcome.encoding = detect_encoding(self.path, contract)
        if native.applies(contract, self.path.stat().st_size):
            with native.NativeRead(self.path, self.outcome.encoding, contract) as read:
                if self._read_natively(read):
                    yield from self._native_batches(read)
                    return
        stream = LineStream(self.path, self.outcome.encoding)
        assembler: RecordAssembler | None = None
        for chunk in stream.chunks():
            lines, first = chunk.lines, chunk.first_line
            if contract.header and first == 1:
                self._read_header(lines[0])
                lines, first = lines.slice(1), 2
            if contract.format == "delimited" and assembler is None:
                assembler = RecordAssembler(
                    len(self._source_names), contract.separator, contract.quote
                )
            yield from self._parse_lines(assembler, first, lines, final=False)
        yield from self._finish(stream, assembler)

    def _finish(self, stream: LineStream, assembler: RecordAssembler | None):
        contract = self.contract
        last = stream.last_line
        if last is None:
            raise self.reject("empty_file", "no lines")
        if contract.header and not self._source_names:
            self._read_header(last)
            if contract.trailer:
                raise self.reject("truncated", "header only, no trailer line")
            return
        trailer = None
        data = pl.Series("line", [], dtype=pl.String)
        if contract.trailer:
            if not last.startswith(contract.trailer.marker):
                raise self.reject(
                    "truncated",
                    f"last line {stream.last_line_number} is not the "
                    f"{contract.trailer.marker} trailer",
                )
            trailer = last
        else:
            if not stream.ends_with_line_end:
                raise self.reject(
                    "truncated", f"line {stream.last_line_number} has no line end (file cut short)"
                )
            data = pl.Series("line", [last])
        if contract.format == "delimited" and assembler is None:
            assembler = RecordAssembler(len(self._source_names), contract.separator, contract.quote)
        yield from self._parse_lines(assembler, stream.last_line_number, data, final=True)
        if trailer is not None:
            self._verify_trailer(trailer, stream.last_line_number)

    # --- the native path (DuckDB finds broken lines, Polars splits) -------------------------

    def _read_natively(self, read: native.NativeRead) -> bool:
        """Whether DuckDB could account for every line; a header the contract rejects rejects
        the file here as on the line-by-line path."""
        try:
            self._read_header(read.read_header())
            read.read(self._source_names)
            self._native_records = read.records(len(self._source_names))
        except native.NativeUnavailable:
            self._source_names = []
            self.outcome.extra_columns = []
            self.outcome.missing_optional_columns = []
            return False
        return True

    def _native_batches(self, read: native.NativeRead) -> Iterator[ParsedBatch]:
        records = self._native_records
        for fields in ahead(read.batches()):
            yield self._type_and_check(fields, records)
            records = Records()
        if records.rejected:
            empty = dict.fromkeys(self._source_names, pl.String)
            yield self._type_and_check(
                pl.DataFrame(schema={"line_number": pl.Int64, **empty}), records
            )
        self._verify_trailer(read.trailer.text, read.trailer.line_number)

    def _read_header(self, line: str) -> None:
        contract = self.contract
        names = line.lstrip("\ufeff").split(contract.separator)
        if contract.quote:
            names = [n.strip().strip(contract.quote) for n in names]
        self._source_names = names
        known = {c.source for c in contract.columns}
        missing = [c.source for c in contract.columns if c.in_every_file and c.source not in names]
        if missing:
            found = sum(n in known for n in names)
            hint = " (header not recognised: wrong encoding or separator?)" if not found else ""
            raise self.reject("missing_required_column", ", ".join(missing) + hint)
        self.outcome.extra_columns = [n for n in names if n not in known]
        self.outcome.missing_optional_columns = [
            c.source for c in contract.columns if c.source not in names
        ]

    def _verify_trailer(self, line: str, line_number: int) -> None:
        contract = self.contract
        body = line[len(contract.trailer.marker) :]
        parts = [
            p for p in (body.split(contract.separator) if contract.separator else body.split())
        ]
        parts = [p for p in parts if p.strip()]
        if len(parts) != 2 or not parts[0].strip().isdigit():
            raise self.reject(
                "trailer_mismatch", f"line {line_number}: unreadable trailer {line!r}"
            )
        rows = int(parts[0])
        total = parse_amount(parts[1], contract)
        self.outcome.trailer_rows, self.outcome.trailer_sum = rows, total
        if rows != self.outcome.rows_read:
            raise self.reject(
                "trailer_mismatch",
                f"trailer promises {rows} rows, the file holds {self.outcome.rows_read}",
            )
        if contract.trailer.sum_column is None or not self._sum_verifiable:
            return
        computed = sum(self._sum_parts, Decimal(0))
        self.outcome.computed_sum = computed
        if total is None or computed != total:
            raise self.reject(
                "trailer_mismatch",
                f"trailer sum {parts[1].strip()} of {contract.trailer.sum_column}, "
                f"rows add up to {computed}",
            )

    # --- records -------------------------------------------------------------------------

    def _parse_lines(self, assembler, first: int, lines: pl.Series, final: bool):
        contract = self.contract
        if contract.format == "delimited":
            frame, records = assembler.feed(first, lines, final)
            strings = self._split_delimited(frame, records)
        elif contract.format == "fixed_width":
            strings, records = self._split_fixed(first, lines)
        else:
            strings, records = self._split_json(first, lines)
        if strings.height == 0 and not records.rejected:
            return
        yield self._type_and_check(strings, records)

    def _split_delimited(self, frame: pl.DataFrame, records: Records) -> pl.DataFrame:
        contract = self.contract
        if records.texts:
            extra = pl.DataFrame(
                {"line_number": records.line_numbers, "text": records.texts},
                schema={"line_number": pl.Int64, "text": pl.String},
            )
            frame = pl.concat([frame, extra]).sort("line_number")
        names = [f"f{i}" for i in range(len(self._source_names))]
        if frame.height == 0:
            fields = pl.DataFrame(schema=dict.fromkeys(names, pl.String))
        elif contract.quote:
            fields = pl.read_csv(
                frame["text"].str.join("\n").item().encode(),
                has_header=False,
                separator=contract.separator,
                quote_char=contract.quote,
                new_columns=names,
                schema=dict.fromkeys(names, pl.String),
            )
        else:
            fields = (
                frame.select(
                    pl.col("text")
                    .str.split_exact(contract.separator, len(names) - 1)
                    .struct.rename_fields(names)
                )
                .unnest("text")
                .select([pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in names])
            )
        fields = fields.rename(dict(zip(names, self._source_names, strict=True)))
        return pl.concat([frame, fields], how="horizontal")

    def _split_fixed(self, first: int, lines: pl.Series) -> tuple[pl.DataFrame, Records]:
        widths = [c.width for c in self.contract.columns]
        expected = sum(widths)
        numbers = np.arange(first, first + len(lines), dtype=np.int64)
        lengths = lines.str.len_chars().to_numpy()
        bad = np.flatnonzero(lengths != expected)
        records = Records()
        for index in bad:
            records.rejected.append(
                (
                    int(numbers[index]),
                    "wrong_line_length",
                    f"{int(lengths[index])} characters, layout needs {expected}",
                    lines[int(index)],
                )
            )
        keep = np.ones(len(lines), dtype=bool)
        keep[bad] = False
        frame = pl.DataFrame({"line_number": numbers[keep], "text": lines.filter(pl.Series(keep))})
        offset = 0
        columns = []
        for column, width in zip(self.contract.columns, widths, strict=True):
            value = pl.col("text").str.slice(offset, width).str.strip_chars()
            columns.append(pl.when(value != "").then(value).alias(column.source))
            offset += width
        return frame.with_columns(columns), records

    def _split_json(self, first: int, lines: pl.Series) -> tuple[pl.DataFrame, Records]:
        """One DuckDB pass: validity (one JSON object per line) and the fields as text.

        Only the fields come back from DuckDB, in line order (the engine keeps insertion order);
        the line texts stay in Polars."""
        numbers = np.arange(first, first + len(lines), dtype=np.int64)
        frame = pl.DataFrame({"line_number": numbers, "text": lines})
        shape = "{" + ",".join(f'"{c.source}":"VARCHAR"' for c in self.contract.columns) + "}"
        parsed = self._json.execute(
            "with checked as (select line_number, text, coalesce(json_type(case when "
            "json_valid(text) then text end) = 'OBJECT', false) as ok from frame) "
            "select ok, unnest(json_transform(case when ok then text end, ?)) "
            "from checked",
            [shape],
        ).pl()
        ok = parsed["ok"]
        records = Records()
        for index in np.flatnonzero(~ok.to_numpy()):
            number, text = int(numbers[index]), lines[int(index)]
            records.rejected.append((number, "invalid_json", "not one JSON object", text))
        sources = [c.source for c in self.contract.columns]
        parsed = pl.concat([frame, parsed], how="horizontal").filter(ok).drop("ok")
        parsed = parsed.with_columns(
            [pl.when(pl.col(s) != "").then(pl.col(s)).alias(s) for s in sources]
        )
        if first == 1 and parsed.height:
            (keys,) = self._json.execute("select json_keys(?)", [parsed["text"][0]]).fetchone()
            self.outcome.extra_columns = [k for k in keys if k not in sources]
        return parsed, records

    # --- values --------------------------------------------------------------------------

    def _type_and_check(self, strings: pl.DataFrame, records: Records) -> ParsedBatch:
        contract = self.contract
        height = strings.height
        typed: dict[str, pl.Series] = {}
        reject_reason = np.full(height, None, dtype=object)
        reject_field = np.full(height, None, dtype=object)
        reject_detail = np.full(height, None, dtype=object)
        for column in contract.columns:
            if column.source not in strings.columns:
                typed[column.name] = pl.Series(
                    column.name, [None] * height, dtype=POLARS_TYPES[column.type]
                )
                continue
            text = strings[column.source]
            values = convert(text, column, contract)
            typed[column.name] = values.alias(column.name)
            bad = (text.is_not_null() & values.is_null()).to_numpy()
            if column.role == "key":
                bad_key = text.is_null().to_numpy()
                _first_failure(reject_reason, reject_field, bad_key, "missing_key", column)
            if bad.any():
                _first_failure(reject_reason, reject_field, bad, f"invalid_{column.type}", column)
                for i in np.flatnonzero(bad & (reject_field == column.source)):
                    reject_detail[i] = f"{text[int(i)]!r} is not a valid {column.type}"
        rejected = reject_reason != None  # noqa: E711 (numpy object comparison)
        quarantine_rows = [
            (number, None, reason, detail, text, True)
            for number, reason, detail, text in records.rejected
        ]
        numbers = strings["line_number"]
        rejected_at = np.flatnonzero(rejected)
        rejected_texts = self._texts(strings, rejected_at)
        for i, text in zip(rejected_at, rejected_texts, strict=True):
            quarantine_rows.append(
                (
                    int(numbers[int(i)]),
                    reject_field[i],
                    reject_reason[i],
                    reject_detail[i] or f"{reject_field[i]} is empty",
                    text,
                    True,
                )
            )
        self._recover_sums(records)
        keep = pl.Series(~rejected)
        rows = pl.DataFrame(typed).with_columns(_line_number=numbers).filter(keep)
        if self.outcome.extra_columns and contract.format == "delimited":
            extras = strings.select(self.outcome.extra_columns).filter(keep)
            rows = rows.with_columns(
                extras.select(pl.struct(pl.all()).struct.json_encode().alias("_extra_fields"))
            )
        else:
            rows = rows.with_columns(_extra_fields=pl.lit(None, dtype=pl.String))
        kept = strings.filter(keep)
        flags = self._flags(rows, lambda index: self._texts(kept, index))
        quarantine = pl.concat([_quarantine_frame(quarantine_rows), flags])
        self._count(rows, quarantine)
        if contract.trailer and contract.trailer.sum_column:
            total = rows[contract.trailer.sum_column].sum()
            self._sum_parts.append(Decimal(str(total or 0)))
        return ParsedBatch(rows, quarantine)

    def _count(self, rows: pl.DataFrame, quarantine: pl.DataFrame) -> None:
        rejected = quarantine.filter(pl.col("is_rejected")).height
        flagged = quarantine.filter(~pl.col("is_rejected"))["line_number"].n_unique()
        self.outcome.rows_loaded += rows.height
        self.outcome.rows_rejected += rejected
        self.outcome.rows_flagged += flagged
        self.outcome.rows_read += rows.height + rejected

    def _recover_sums(self, records: Records) -> None:
        """Amounts of rejected rows still count in the trailer sum; read them by position."""
        contract = self.contract
        if not (contract.trailer and contract.trailer.sum_column) or not records.rejected:
            return
        column = contract.column(contract.trailer.sum_column)
        for _, _, _, text in records.rejected:
            value = None
            if contract.format == "delimited" and column.source in self._source_names:
                parts = text.replace("\n", "").split(contract.separator)
                position = self._source_names.index(column.source)
                if position < len(parts):
                    value = parse_amount(parts[position], contract)
            if value is None:
                self._sum_verifiable = False
            else:
                self._sum_parts.append(value)

    def _texts(self, strings: pl.DataFrame, index: np.ndarray) -> pl.Series:
        """Raw text of the rows at ``index``; the native path has no line texts and joins the
        fields back (no quoting there, so the join is the line) for just these rows."""
        if "text" in strings.columns:
            return strings["text"].gather(index)
        return (
            strings[index]
            .select(
                pl.concat_str(
                    [pl.col(n).fill_null("") for n in self._source_names],
                    separator=self.contract.separator,
                )
            )
            .to_series()
        )

    def _flags(self, rows: pl.DataFrame, texts_at) -> pl.DataFrame:
        """Field-level findings on loaded rows: the row stays, the finding is recorded;
        ``texts_at(index)`` gives the raw texts of the flagged rows."""
        found: list[pl.DataFrame] = []
        numbers = rows["_line_number"]

        def add(mask: np.ndarray, column: Column, reason: str, detail: str) -> None:
            index = np.flatnonzero(mask)
            if len(index) == 0:
                return
            found.append(
                pl.DataFrame(
                    {
                        "line_number": numbers.gather(index),
                        "field": column.source,
                        "reason": reason,
                        "detail": detail,
                        "raw_text": texts_at(index),
                        "is_rejected": False,
                    },
                    schema=QUARANTINE_SCHEMA,
                )
            )

        for column in self.contract.columns:
            values = rows[column.name]
            if column.role == "mandatory":
                applies = np.ones(rows.height, dtype=bool)
                if column.mandatory_when:
                    other, allowed = column.mandatory_when
                    applies = rows[other].is_in(list(allowed)).fill_null(False).to_numpy()
                add(
                    values.is_null().to_numpy() & applies,
                    column,
                    "missing_mandatory",
                    f"{column.source} is required",
                )
            if column.placeholders:
                placeholder_values = convert(
                    pl.Series(list(column.placeholders)), column, self.contract
                )
                add(
                    values.is_in(placeholder_values.implode()).fill_null(False).to_numpy(),
                    column,
                    "placeholder_value",
                    f"{column.source} holds a placeholder",
                )
            for check in column.checks:
                mask = np.zeros(rows.height, dtype=bool)
                mask[field_rules.failing(values, check)] = True
                add(mask, column, field_rules.RULES[check][1], f"{column.source} fails {check}")
            if column.references:
                keys = self.reference_keys.get(column.name)
                if keys is not None:
                    orphan = (values.is_not_null() & ~values.is_in(keys.implode())).to_numpy()
                    add(
                        orphan,
                        column,
                        "orphan_reference",
                        f"{column.source} not found in raw.{column.references[0]}",
                    )
        if not found:
            return _quarantine_frame([])
        return pl.concat(found)


@functools.cache
def _json_engine() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB for JSON parsing, opened once per process (≈ 11 ms per connect)."""
    return duckdb.connect()


def _first_failure(reasons, fields, mask, reason, column: Column) -> None:
    target = mask & (reasons == None)  # noqa: E711 (numpy object comparison)
    reasons[target] = reason
    fields[target] = column.source
