from __future__ import annotations

import random

import pytest

from cdp import transcode
from cdp.transcode import append_transcoded, code_page_table, file_to_utf8

pytestmark = pytest.mark.unit


def test_append_transcoded_replaces_what_the_code_page_lacks(tmp_path):
    path = tmp_path / "f.csv"
    text = "Ёжик;№1;«ok»;😀\r\n".encode()
    pieces = [text[:1], text[1:9], b"ascii;", text[9:10], text[10:]]  # "Ё", "№" split
    append_transcoded(str(path), pieces, "utf-8", "cp1251")
    assert path.read_bytes().decode("cp1251") == "Ёжик;ascii;№1;«ok»;?\r\n"


def _random_text(rng: random.Random, length: int) -> str:
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЯ;0123456789 ,.«»№€—…\r\n" + "ЄїЎ💳中ß"
    return "".join(rng.choice(alphabet) for _ in range(length))


@pytest.mark.parametrize("target", ["cp1251", "cp866", "latin-1", "utf-16-le"])
def test_compiled_and_python_codecs_write_the_same_bytes(tmp_path, target):
    rng = random.Random(7)
    text = _random_text(rng, 5_000).encode()
    cuts = sorted(rng.sample(range(1, len(text)), 60))  # splits inside characters too
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    path = tmp_path / "out.txt"
    written = append_transcoded(str(path), pieces, "utf-8", target)
    expected = text.decode("utf-8").encode(target, errors="replace")
    assert path.read_bytes() == expected
    assert written == len(expected)


@pytest.mark.parametrize(
    "bad",
    [b"\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xd0"],
    ids=["stray continuation", "overlong 2", "overlong 3", "surrogate", "above U+10FFFF", "cut"],
)
def test_invalid_utf8_is_rejected_as_python_rejects_it(tmp_path, bad):
    with pytest.raises(UnicodeDecodeError):
        append_transcoded(str(tmp_path / "out.txt"), ["Счёт ".encode(), bad], "utf-8", "cp1251")


def test_only_single_byte_code_pages_get_the_compiled_loop():
    assert code_page_table("cp1251") is not None
    assert code_page_table("utf-8") is None
    assert code_page_table("utf-16-le") is None


@pytest.mark.parametrize("source", ["cp1251", "cp866", "latin-1", "utf-16-le"])
def test_files_are_copied_to_utf8_as_pythons_codec_decodes_them(tmp_path, monkeypatch, source):
    monkeypatch.setattr(transcode, "BLOCK_BYTES", 101)  # blocks cut inside UTF-16 characters
    text = _random_text(random.Random(11), 5_000).encode(source, errors="replace").decode(source)
    path = tmp_path / "in.txt"
    path.write_bytes(text.encode(source))
    file_to_utf8(path, source, tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == text.encode("utf-8")


def test_a_byte_the_code_page_does_not_define_is_named_by_its_offset(tmp_path, monkeypatch):
    monkeypatch.setattr(transcode, "BLOCK_BYTES", 64)
    path = tmp_path / "in.txt"
    path.write_bytes("Счёт;1\r\n".encode("cp1251") * 30 + b"\x98")
    with pytest.raises(UnicodeDecodeError, match="offset 240"):
        file_to_utf8(path, "cp1251", tmp_path / "out.txt")
