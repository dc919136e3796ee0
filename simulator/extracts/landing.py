"""Routes formatted rows into the landing zone: one folder per system per delivery date.

The first folder (the snapshot date) holds the initial full unload with all history up to that
day; every later day gets a delta file per file type, even when it is empty, as real extract
jobs do. The delivery plan bends this the way real deliveries go wrong: a file arrives late in a
later folder, the same file is delivered twice, a day is skipped and comes with the next, an
encoding switches, a column is added.
"""

from __future__ import annotations

import datetime as dt
import queue
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from simulator.extracts.formats import FileFormat, render_header, write_rows

EPOCH = dt.date(1970, 1, 1)
DATE = "_date"
AMOUNT = "_amount"


@dataclass(frozen=True)
class FileType:
    """One kind of extract file: who writes it, its name pattern, columns and layout."""

    system: str
    entity: str
    filename: str
    fmt: FileFormat
    columns: tuple[str, ...]
    added_column: str | None = None

    def name_for(self, business_date: dt.date) -> str:
        return self.filename.format(date=business_date.strftime("%Y%m%d"))


@dataclass(frozen=True)
class DeliveryEvent:
    """A deviation from the normal daily delivery, recorded in the ground truth."""

    kind: str
    system: str
    entity: str | None
    business_date: dt.date
    delivered_on: dt.date | None
    detail: str = ""


@dataclass
class DeliveryPlan:
    """Which files deviate from "delivered on their business date, as usual"."""

    events: list[DeliveryEvent] = field(default_factory=list)

    def _find(self, kind: str, ft: FileType, day: dt.date) -> DeliveryEvent | None:
        for e in self.events:
            if e.kind == kind and e.system == ft.system and e.entity in (None, ft.entity):
                if kind in ("encoding_change", "column_added"):
                    if day >= e.business_date:
                        return e
                elif e.business_date == day:
                    return e
        return None

    def delivery_date(self, ft: FileType, day: dt.date) -> dt.date:
        event = self._find("late_file", ft, day) or self._find("missing_day", ft, day)
        return event.delivered_on if event and event.delivered_on else day

    def encoding(self, ft: FileType, day: dt.date) -> str:
        event = self._find("encoding_change", ft, day)
        return event.detail if event else ft.fmt.encoding

    def has_added_column(self, ft: FileType, day: dt.date) -> bool:
        return ft.added_column is not None and self._find("column_added", ft, day) is not None

    def duplicate_on(self, ft: FileType, day: dt.date) -> dt.date | None:
        event = self._find("duplicate_file", ft, day)
        return event.delivered_on if event else None


@dataclass
class _FileState:
    path: Path
    fmt: FileFormat
    rows: int = 0
    total: int = 0


class LandingWriter:
    """Appends rows to their files month by month and closes every file with its trailer."""

    def __init__(
        self, landing_dir: Path, snapshot_date: dt.date, last_date: dt.date, plan: DeliveryPlan
    ):
        self.root = landing_dir
        self.snapshot_date = snapshot_date
        self.last_date = last_date
        self.plan = plan
        self._files: dict[Path, _FileState] = {}
        self._types: dict[tuple[str, str], FileType] = {}
        self._pending: queue.Queue[tuple[FileType, pl.DataFrame] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write_pending, daemon=True)
        self._thread.start()

    def write(self, ft: FileType, frame: pl.DataFrame) -> None:
        """Append rows; ``_date`` (business date of each row) routes them, rows on or before
        the snapshot date go to the initial full unload. ``_amount`` (minor units) feeds the
        trailer's control sum when the file type has one.

        A background thread writes the frame while the caller prepares the next ones (polars
        renders and the cp1251 loop re-encodes without the GIL; most of the simulation is
        single-threaded numpy). One frame may wait behind the one being written, so a frame
        ready right after another (events after sessions) does not stall the caller; a third
        blocks, which bounds the memory (bank-1m: 7,142 → 7,221 MB peak, 358 → 347 s)."""
        self._raise_if_failed()
        self._types[(ft.system, ft.entity)] = ft
        self._pending.put((ft, frame))

    def _write_pending(self) -> None:
        while (item := self._pending.get()) is not None:
            try:
                if self._error is None:
                    self._write_now(*item)
            except BaseException as err:  # re-raised in the caller's thread
                self._error = err
            finally:
                item = None  # the frame is freed as soon as it is written
                self._pending.task_done()

    def _write_now(self, ft: FileType, frame: pl.DataFrame) -> None:
        for day, part in self._by_day(frame):
            self._append(ft, day, part)

    def _wait(self) -> None:
        self._pending.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _by_day(self, frame: pl.DataFrame):
        """(file day, rows) pairs of a frame, rows after the last delivered day left out.

        Frames come sorted by date almost always, so each day's rows are a zero-copy slice (a
        ``group_by`` copied every frame twice over); a frame out of order is sorted first, which
        keeps each day's rows in their order."""
        if frame.height == 0:
            return
        day = np.maximum(frame[DATE].to_physical().to_numpy(), (self.snapshot_date - EPOCH).days)
        if (day[1:] < day[:-1]).any():
            order = np.argsort(day, kind="stable")
            frame, day = frame[order], day[order]
        starts = np.flatnonzero(day[1:] != day[:-1]) + 1
        last = (self.last_date - EPOCH).days
        for start, end in zip(np.r_[0, starts], np.r_[starts, len(day)], strict=True):
            if day[start] <= last:
                yield EPOCH + dt.timedelta(days=int(day[start])), frame.slice(start, end - start)

    def _append(self, ft: FileType, day: dt.date, part: pl.DataFrame) -> None:
        state = self._open(ft, day)
        columns = list(ft.columns)
        if self.plan.has_added_column(ft, day):
            columns.append(ft.added_column)
        write_rows(part.select(columns), state.fmt, state.path)
        state.rows += part.height
        if AMOUNT in part.columns:
            state.total += int(part[AMOUNT].sum() or 0)

    def _open(self, ft: FileType, day: dt.date) -> _FileState:
        delivered = self.plan.delivery_date(ft, day)
        path = self.root / ft.system / delivered.isoformat() / ft.name_for(day)
        state = self._files.get(path)
        if state is None:
            fmt = ft.fmt.with_encoding(self.plan.encoding(ft, day))
            state = self._files[path] = _FileState(path, fmt)
            path.parent.mkdir(parents=True, exist_ok=True)
            columns = list(ft.columns)
            if self.plan.has_added_column(ft, day):
                columns.append(ft.added_column)
            bom = b"\xef\xbb\xbf" if fmt.encoding == "utf-8-sig" else b""
            path.write_bytes(bom)
            self._append_text(state, render_header(columns, fmt))
        return state

    def _append_text(self, state: _FileState, text: str) -> None:
        """A header or trailer line in the file's encoding (a UTF-8 file's BOM is written when
        the file is created)."""
        encoding = "cp1251" if state.fmt.encoding == "cp1251" else "utf-8"
        with state.path.open("ab") as fh:
            fh.write(text.encode(encoding, errors="replace"))

    def close(self) -> None:
        self._pending.put(None)
        self._thread.join()

    def finalize(self) -> list[dict]:
        """Create the empty daily files, write trailers, make duplicate deliveries; return a
        manifest row per delivered file."""
        self._wait()
        day = self.snapshot_date
        while day <= self.last_date:
            for ft in self._types.values():
                self._open(ft, day)
            day += dt.timedelta(days=1)
        for state in self._files.values():
            if state.fmt.trailer:
                line = state.fmt.trailer.format(
                    rows=state.rows, total=_trailer_total(state.total, state.fmt)
                )
                self._append_text(state, line + state.fmt.line_terminator)
        manifest = [self._manifest_row(s.path, s.rows) for s in self._files.values()]
        for (system, _), ft in self._types.items():
            day = self.snapshot_date
            while day <= self.last_date:
                again = self.plan.duplicate_on(ft, day)
                if again:
                    src = self.root / system / self.plan.delivery_date(ft, day).isoformat()
                    dst = self.root / system / again.isoformat() / ft.name_for(day)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src / ft.name_for(day), dst)
                    rows = self._files[src / ft.name_for(day)].rows
                    manifest.append(self._manifest_row(dst, rows))
                day += dt.timedelta(days=1)
        return sorted(manifest, key=lambda r: r["path"])

    def _manifest_row(self, path: Path, rows: int) -> dict:
        rel = path.relative_to(self.root)
        return {
            "path": str(rel),
            "system": rel.parts[0],
            "delivered_on": rel.parts[1],
            "rows": rows,
            "bytes": path.stat().st_size,
        }


def _trailer_total(kopecks: int, fmt: FileFormat) -> str:
    if fmt.separator == ";":
        sign = "-" if kopecks < 0 else ""
        return f"{sign}{abs(kopecks) // 100},{abs(kopecks) % 100:02d}"
    return str(kopecks)


def lifecycle_rows(frame: pl.DataFrame, start: str, end: str, params) -> pl.DataFrame:
    """Rows of an entity file for records that begin and maybe end (accounts, cards, consents).

    The snapshot shows each record as of the snapshot date; each later beginning or ending is a
    row of its own day's delta. ``_date`` routes the row, ``end_visible`` is the end day the row
    may show (``NEVER`` when the end has not happened yet as of that row).
    """
    never = np.iinfo(np.int64).max
    snap = (params.snapshot_date - EPOCH).days
    last = (params.business_date - EPOCH).days
    frame = frame.filter(pl.col(start) <= last)
    horizon = pl.max_horizontal(pl.col(start), pl.lit(snap))
    began = frame.with_columns(
        pl.col(start).alias("row_day"),
        pl.when(pl.col(end) <= horizon).then(pl.col(end)).otherwise(never).alias("end_visible"),
    )
    ended = frame.filter((pl.col(end) > horizon) & (pl.col(end) <= last)).with_columns(
        pl.col(end).alias("row_day"), pl.col(end).alias("end_visible")
    )
    return (
        pl.concat([began, ended])
        .with_columns(pl.col("row_day").cast(pl.Date).alias(DATE))
        .sort(DATE, maintain_order=True)
    )
