"""Streaming re-encoding between UTF-8 and the legacy code pages bank systems use (cp1251).

Python's codec decodes UTF-8 into a string and then looks every character up in the code
page's map (≈ 200 MB/s together, holding the GIL); a compiled loop (numba) reads the UTF-8
bytes and writes the target bytes in one pass (≈ 800 MB/s) without the GIL, so the simulator's
writer thread re-encodes its 22 GB of cp1251 at bank-1m beside the generating thread. Validation
follows Python's strict UTF-8 decoder: what it rejects, Python rejects too. Other encodings go
through Python's codecs.

The other way, ingestion copies a cp1251 extract into UTF-8 for the readers that only take
UTF-8 (Polars' scans) by the same kind of loop, a 256-entry table of UTF-8 sequences, in blocks:
constant memory whatever the file's size (glibc's ``iconv`` program, used before, read its
whole input into memory: 14 GB for the 14.5 GB postings snapshot of bank-1m).
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable, Iterable
from pathlib import Path

import numba
import numpy as np


def append_transcoded(path: str, pieces: Iterable[bytes], source: str, target: str) -> int:
    """Append text (consecutive pieces of bytes in ``source``) to ``path`` re-encoded as
    ``target``; characters the target lacks become ``?``, as legacy exports do. Returns the
    bytes written."""
    encode = _piece_encoder(source, target)
    with open(path, "ab") as fh:
        written = sum(fh.write(encode(piece)) for piece in pieces)
        return written + fh.write(encode(b"", final=True))


def _piece_encoder(source: str, target: str) -> Callable[..., bytes | memoryview]:
    """A function re-encoding consecutive pieces: UTF-8 into a single-byte code page by the
    compiled loop, anything else by Python's codecs. Pure-ASCII pieces are passed on as they
    are when both encodings spell ASCII alike."""
    if codecs.lookup(source).name == "utf-8" and (table := code_page_table(target)) is not None:
        return Utf8ToSingleByte(table)
    decoder = codecs.getincrementaldecoder(source)()
    as_is = _ascii_alike(source, target)

    def encode(piece: bytes, final: bool = False) -> bytes:
        if as_is and piece.isascii() and not decoder.getstate()[0]:
            return piece
        return decoder.decode(piece, final).encode(target, errors="replace")

    return encode


@functools.cache
def _ascii_alike(source: str, target: str) -> bool:
    ascii_bytes = bytes(range(128))
    return ascii_bytes.decode(source, errors="replace").encode(target, "replace") == ascii_bytes


REPLACEMENT = ord("?")
"""What legacy exports (and Python's ``errors="replace"``) write for a missing character."""


@functools.cache
def code_page_table(target: str) -> np.ndarray | None:
    """Byte of each code point of the Basic Multilingual Plane in ``target`` (``?`` where it
    has none), or None when ``target`` is not a single-byte code page that keeps ASCII as is."""
    table = np.full(0x10000, REPLACEMENT, np.uint8)
    for code_point in range(0x10000):
        if 0xD800 <= code_point < 0xE000:  # surrogates: never in valid UTF-8
            continue
        try:
            encoded = chr(code_point).encode(target)
        except UnicodeEncodeError:
            continue
        if len(encoded) != 1:
            return None
        table[code_point] = encoded[0]
    return table if bytes(table[:128]) == bytes(range(128)) else None


class Utf8ToSingleByte:
    """Re-encodes consecutive pieces of UTF-8; a character split between two pieces is kept
    back and finished with the next one."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        self.carry = b""

    def __call__(self, piece: bytes, final: bool = False) -> bytes | memoryview:
        data = self.carry + piece if self.carry else piece
        if data.isascii():  # the table keeps ASCII as is
            self.carry = b""
            return data
        src = np.frombuffer(data, np.uint8)
        out = np.empty(src.size, np.uint8)
        used, written = _encode(src, self.table, out)
        if used < 0 or (final and used < src.size):
            data.decode("utf-8")  # raises at the invalid or cut-off sequence
            raise AssertionError("the compiled UTF-8 check and Python's disagree")
        self.carry = data[used:]
        return out[:written].data


@numba.njit(cache=True, nogil=True)
def _encode(src, table, out):  # pragma: no cover - compiled; tested through Utf8ToSingleByte
    """(bytes of ``src`` consumed, bytes written to ``out``); consumed is -1 on invalid UTF-8
    and stops short of a sequence cut off at the end."""
    n = src.size
    i = 0
    j = 0
    while i < n:
        b = src[i]
        if b < 0x80:
            out[j] = b
            i += 1
        elif b < 0xC2 or b > 0xF4:
            return -1, j
        elif b < 0xE0:
            if i + 1 >= n:
                break
            c1 = src[i + 1]
            if c1 & 0xC0 != 0x80:
                return -1, j
            out[j] = table[((b & 0x1F) << 6) | (c1 & 0x3F)]
            i += 2
        elif b < 0xF0:
            if i + 2 >= n:
                break
            c1 = src[i + 1]
            c2 = src[i + 2]
            low = 0xA0 if b == 0xE0 else 0x80
            high = 0x9F if b == 0xED else 0xBF
            if c1 < low or c1 > high or c2 & 0xC0 != 0x80:
                return -1, j
            out[j] = table[((b & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F)]
            i += 3
        else:
            if i + 3 >= n:
                break
            c1 = src[i + 1]
            low = 0x90 if b == 0xF0 else 0x80
            high = 0x8F if b == 0xF4 else 0xBF
            if c1 < low or c1 > high or src[i + 2] & 0xC0 != 0x80 or src[i + 3] & 0xC0 != 0x80:
                return -1, j
            out[j] = REPLACEMENT  # beyond the BMP: no single-byte code page has it
            i += 4
        j += 1
    return i, j


BLOCK_BYTES = 32 * 2**20


def file_to_utf8(
    source: Path, encoding: str, target: Path, start: int = 0, end: int | None = None
) -> None:
    """Bytes ``start``..``end`` of ``source`` (text in ``encoding``; the whole file by default)
    written to ``target`` as UTF-8, in blocks. A byte the encoding does not define raises
    ``UnicodeDecodeError`` with its offset in the file."""
    tables = decoding_tables(encoding)
    if tables is None:
        _file_to_utf8_by_codec(source, encoding, target, start, end)
        return
    lengths, sequences = tables
    offset = start
    out = np.empty(3 * BLOCK_BYTES, np.uint8)
    with source.open("rb") as handle, target.open("wb") as sink:
        handle.seek(start)
        while block := _read_block(handle, offset, end):
            src = np.frombuffer(block, np.uint8)
            written, bad = _decode(src, lengths, sequences, out)
            if bad >= 0:
                raise UnicodeDecodeError(
                    encoding, block, bad, bad + 1, f"undefined byte at offset {offset + bad}"
                )
            sink.write(out[:written].data)
            offset += len(block)


def _read_block(handle, offset: int, end: int | None) -> bytes:
    """The next block of a file whose read position is ``offset``, stopping at ``end``."""
    return handle.read(BLOCK_BYTES if end is None else min(BLOCK_BYTES, end - offset))


def _file_to_utf8_by_codec(
    source: Path, encoding: str, target: Path, start: int, end: int | None
) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = start
    with source.open("rb") as handle, target.open("wb") as sink:
        handle.seek(start)
        while block := _read_block(handle, offset, end):
            offset += len(block)
            sink.write(decoder.decode(block).encode("utf-8"))
        sink.write(decoder.decode(b"", final=True).encode("utf-8"))


@functools.cache
def decoding_tables(encoding: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The UTF-8 bytes of each byte of a single-byte code page that keeps ASCII as is (length
    0 where the code page defines no character), or None for any other encoding."""
    if code_page_table(encoding) is None:
        return None
    lengths = np.zeros(256, np.uint8)
    sequences = np.zeros((256, 3), np.uint8)
    for byte in range(256):
        try:
            utf8 = bytes([byte]).decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            continue
        lengths[byte] = len(utf8)
        sequences[byte, : len(utf8)] = list(utf8)
    return lengths, sequences


@numba.njit(cache=True, nogil=True)
def _decode(src, lengths, sequences, out):  # pragma: no cover - compiled; tested via file_to_utf8
    """(bytes written to ``out``, offset of the first undefined byte or -1)."""
    j = 0
    for i in range(src.size):
        b = src[i]
        if b < 0x80:
            out[j] = b
            j += 1
            continue
        length = lengths[b]
        if length == 0:
            return j, i
        for k in range(length):
            out[j + k] = sequences[b, k]
        j += length
    return j, -1
