"""Stream a landing file as chunks of decoded lines, whatever its encoding and line ends.

Memory stays bounded by ``CHUNK_BYTES`` whatever the file size: bytes are read in blocks, cut
at the last line end, decoded strictly (a byte the encoding cannot hold rejects the file) and
split into lines by Polars. The caller gets 1-based physical line numbers with every chunk.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

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


def _split_lines(text: str) -> pl.Series:
    lines = pl.Series("line", [text]).str.split("\n").explode()
    return lines.str.strip_suffix("\r")


class LineStream:
    """Whole lines of a file in chunks, holding back the file's last line.

    The last line is where trailers live, so it is exposed apart as ``last_line`` once the
    chunks are exhausted, with ``ends_with_line_end`` telling whether the file was cut short.
    """

    def __init__(self, path: Path, encoding: str, chunk_bytes: int = CHUNK_BYTES):
        self.path = path
        self.encoding = encoding
        self.chunk_bytes = chunk_bytes
        self.last_line: str | None = None
        self.last_line_number = 0
        self.ends_with_line_end = True

    def _texts(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        carry = b""
        offset = 0
        with self.path.open("rb") as handle:
            while block := handle.read(self.chunk_bytes):
                data = carry + block
                cut = data.rfind(b"\n") + 1
                carry = data[cut:]
                yield self._decode(decoder, data[:cut], offset, final=False)
                offset += cut
            self.ends_with_line_end = not carry
            yield self._decode(decoder, carry, offset, final=True)

    def _decode(self, decoder, data: bytes, offset: int, final: bool) -> str:
        try:
            return decoder.decode(data, final=final)
        except UnicodeDecodeError as error:
            raise FileRejected(
                self.path,
                "unknown_encoding",
                f"byte {offset + error.start} is not valid {self.encoding}",
            ) from error

    def chunks(self) -> Iterator[LineChunk]:
        next_line = 1
        held: str | None = None
        for text in self._texts():
            if not text:
                continue
            lines = _split_lines(text.removesuffix("\n") if text.endswith("\n") else text)
            if held is not None:
                lines = pl.concat([pl.Series("line", [held]), lines])
                next_line -= 1
            held = lines[-1]
            if len(lines) > 1:
                yield LineChunk(next_line, lines.head(len(lines) - 1))
            next_line += len(lines)
        self.last_line = held
        self.last_line_number = next_line - 1
