"""Stream a landing file as chunks of decoded lines, whatever its encoding and line ends.

Memory stays bounded by ``CHUNK_BYTES`` whatever the file size: bytes are read in blocks, cut
at the last line end, decoded strictly (a byte the encoding cannot hold rejects the file) and
split into lines without ever holding the whole block as a Python string. The caller gets
1-based physical line numbers with every chunk.
"""

from __future__ import annotations

import codecs
import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from ingestion.contracts.model import FileContract
from ingestion.errors import FileRejected

CHUNK_BYTES = 32 * 2**20
"""32 MiB of text per chunk: large enough that per-chunk overhead is noise, small enough that a
chunk and its parsed frames stay far below the memory budget."""
SNIFF_BYTES = 2**20


@dataclass(frozen=True)
class LineChunk:
    first_line: int
    lines: pl.Series


def detect_encoding(path: Path, contract: FileContract) -> str:
    """The file's encoding, among those its contract accepts.

    A BOM means UTF-8; NUL bytes mean UTF-16/32, never accepted; pure ASCII is read in the
    contract's expected encoding (the non-ASCII trailer may come at the very end); otherwise
    UTF-8 if the start decodes as UTF-8, else the first other accepted encoding.
    """
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        if "utf-8" in contract.encodings:
            return "utf-8-sig"
        raise FileRejected(
            path,
            "unknown_encoding",
            "UTF-8 byte order mark, contract expects " + "/".join(contract.encodings),
        )
    if b"\x00" in head:
        raise FileRejected(path, "unknown_encoding", "NUL bytes: UTF-16/32 or binary content")
    if head.isascii():
        return contract.encodings[0]
    try:
        head.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError as error:
        utf8 = error.start >= len(head) - 4 and len(head) == SNIFF_BYTES
    if utf8 and "utf-8" in contract.encodings:
        return "utf-8"
    for encoding in contract.encodings:
        if encoding == "utf-8":
            continue
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRejected(
        path, "unknown_encoding", "not decodable as " + " or ".join(contract.encodings)
    )


UNIT_SEPARATOR = b"\x1f"
"""Field separator given to Polars' CSV reader when it splits lines: never a landing file's."""


def _split_lines(data: bytes) -> pl.Series:
    """Lines of a UTF-8 block whose last line end, if any, closes its last line; ``\\r\\n`` ends a
    line like ``\\n``. Polars' multi-threaded CSV reader with a one-column schema does the work
    (≈ 1 GB/s, no Python string of the block); a block holding the unit separator itself goes
    through numpy instead."""
    if UNIT_SEPARATOR in data:
        return _split_lines_numpy(data)
    lines = pl.read_csv(
        data,
        has_header=False,
        separator=UNIT_SEPARATOR.decode(),
        quote_char=None,
        schema={"line": pl.String},
        raise_if_empty=False,
    )["line"].fill_null("")
    return lines if len(lines) else pl.Series("line", [""])


def _split_lines_numpy(data: bytes) -> pl.Series:
    """The same split in numpy: line ends are cut out in one pass and the rest becomes an
    Arrow string array."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if len(raw) and raw[-1] == 10:
        raw = raw[:-1]
    breaks = np.flatnonzero(raw == 10)
    ends = np.append(breaks, len(raw))
    starts = np.concatenate(([0], breaks + 1))
    carriage = np.zeros(len(ends), dtype=bool)
    nonempty = ends > starts
    carriage[nonempty] = raw[ends[nonempty] - 1] == 13
    keep = np.ones(len(raw), dtype=bool)
    keep[breaks] = False
    keep[ends[carriage] - 1] = False
    offsets = np.zeros(len(ends) + 1, dtype=np.int64)
    np.cumsum(ends - starts - carriage, out=offsets[1:])
    array = pa.LargeStringArray.from_buffers(
        len(ends), pa.py_buffer(offsets), pa.py_buffer(raw[keep])
    )
    return pl.Series("line", array)


def ahead(items: Iterator, depth: int = 1) -> Iterator:
    """Yield ``items`` while a thread already produces the next ``depth`` of them: reading and
    transcoding the next block overlaps with parsing this one (numpy, Polars and DuckDB release
    the GIL). The thread stops when the consumer does, and re-raises its error in the consumer."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((done, None))
        except BaseException as error:  # handed over to the consumer
            slots.put((done, error))

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.1)
        close = getattr(items, "close", None)
        if close is not None:
            close()


class LineStream:
    """Whole lines of a file in chunks, holding back the file's last line.

    The last line is where trailers live, so it is exposed apart as ``last_line`` once the
    chunks are exhausted, with ``ends_with_line_end`` telling whether the file was cut short.
    """

    def __init__(self, path: Path, encoding: str, chunk_bytes: int | None = None):
        self.path = path
        self.encoding = encoding
        self.chunk_bytes = chunk_bytes or CHUNK_BYTES
        self.last_line: str | None = None
        self.last_line_number = 0
        self.ends_with_line_end = True

    def _blocks(self) -> Iterator[bytes]:
        """UTF-8 blocks of whole lines (the last one may lack its line end), in file order."""
        carry = b""
        offset = 0
        with self.path.open("rb") as handle:
            while block := handle.read(self.chunk_bytes):
                data = carry + block
                cut = data.rfind(b"\n") + 1
                carry = data[cut:]
                yield self._to_utf8(data[:cut], offset)
                offset += cut
            self.ends_with_line_end = not carry
            yield self._to_utf8(carry, offset)

    def _to_utf8(self, data: bytes, offset: int) -> bytes:
        """The block as UTF-8; a byte the encoding cannot hold rejects the file."""
        if offset == 0 and self.encoding == "utf-8-sig":
            data = data.removeprefix(codecs.BOM_UTF8)
        if data.isascii():
            return data
        try:
            if self.encoding in ("utf-8", "utf-8-sig"):
                data.decode("utf-8")
                return data
            return data.decode(self.encoding).encode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRejected(
                self.path,
                "unknown_encoding",
                f"byte {offset + error.start} is not valid {self.encoding}",
            ) from error

    def chunks(self) -> Iterator[LineChunk]:
        next_line = 1
        held: str | None = None
        for block in ahead(self._blocks()):
            if not block:
                continue
            lines = _split_lines(block)
            if held is not None:
                lines = pl.concat([pl.Series("line", [held]), lines])
                next_line -= 1
            held = lines[-1]
            if len(lines) > 1:
                yield LineChunk(next_line, lines.head(len(lines) - 1))
            next_line += len(lines)
        self.last_line = held
        self.last_line_number = next_line - 1
