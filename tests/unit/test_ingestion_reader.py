"""The line reader: bytes → lines exactly as written, whatever the encoding, line ends, chunks."""

from __future__ import annotations

import pytest

from ingestion.errors import FileRejected
from ingestion.reader import LineStream, _split_lines, _split_lines_numpy

BLOCKS = [
    b"a\nb",
    b"a\r\nb\r\n\r\nc\r\n",
    b"",
    b"\n",
    b"\r",
    b"x\ry\r\n\n",
    b"\n\n",
    b"a\x1fb\r\nc\n",
    "ПРИВЕТ;мир\r\n€№\r\n".encode(),
]


@pytest.mark.parametrize("split", [_split_lines, _split_lines_numpy])
@pytest.mark.parametrize("block", BLOCKS)
def test_block_splits_into_the_lines_python_would_see(block, split):
    expected = [line.removesuffix("\r") for line in block.decode().removesuffix("\n").split("\n")]
    assert split(block).to_list() == expected


def _read(path, encoding, chunk_bytes):
    stream = LineStream(path, encoding, chunk_bytes)
    chunks = [(c.first_line, c.lines.to_list()) for c in stream.chunks()]
    return chunks, stream


@pytest.mark.parametrize("chunk_bytes", [7, 64, 2**20])
def test_cp1251_file_reads_as_numbered_lines_with_the_last_held_back(tmp_path, chunk_bytes):
    lines = [f"{i};Иванов Пётр;{i},50" for i in range(1, 30)] + ["ИТОГО;29;0"]
    path = tmp_path / "f.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1251") + b"\r\n")
    chunks, stream = _read(path, "cp1251", chunk_bytes)
    numbered = [(first + i, line) for first, part in chunks for i, line in enumerate(part)]
    assert numbered == list(enumerate(lines[:-1], 1))
    assert (stream.last_line, stream.last_line_number) == ("ИТОГО;29;0", 30)
    assert stream.ends_with_line_end


def test_utf8_bom_is_dropped_and_a_cut_short_file_is_noticed(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b\nc,d\ne,")
    chunks, stream = _read(path, "utf-8-sig", 4)
    assert [line for _, part in chunks for line in part] == ["a,b", "c,d"]
    assert (stream.last_line, stream.ends_with_line_end) == ("e,", False)


def test_byte_the_encoding_cannot_hold_rejects_the_file_with_its_offset(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"ok\n" * 10 + b"\xff\xfe\n")
    with pytest.raises(FileRejected) as error:
        _read(path, "utf-8", 8)
    assert error.value.reason == "unknown_encoding" and "byte 30" in error.value.detail
