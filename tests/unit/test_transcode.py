from __future__ import annotations

import pytest

from cdp.transcode import BackgroundAppender, append_transcoded

pytestmark = pytest.mark.unit


def test_append_transcoded_replaces_what_the_code_page_lacks(tmp_path):
    path = tmp_path / "f.csv"
    text = "Ёжик;№1;«ok»;😀\r\n".encode()
    pieces = [text[:1], text[1:9], b"ascii;", text[9:10], text[10:]]  # "Ё", "№" split
    append_transcoded(str(path), pieces, "utf-8", "cp1251")
    assert path.read_bytes().decode("cp1251") == "Ёжик;ascii;№1;«ok»;?\r\n"


def test_background_appender_keeps_submission_order(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    appender = BackgroundAppender()
    try:
        for i in range(200):
            appender.submit(str(a if i % 2 else b), f"строка {i}\n".encode(), "utf-8", "cp1251")
        appender.drain()
        assert a.read_bytes().decode("cp1251").splitlines()[:2] == ["строка 1", "строка 3"]
        assert len(b.read_bytes().decode("cp1251").splitlines()) == 100
    finally:
        appender.close()


def test_ascii_chunks_skip_the_worker_until_a_file_needs_it(tmp_path, monkeypatch):
    ascii_only, mixed = tmp_path / "balances.txt", tmp_path / "postings.csv"
    appender = BackgroundAppender()
    sent = []
    feed = appender._queue.put
    monkeypatch.setattr(appender._queue, "put", lambda item: sent.append(item) or feed(item))
    try:
        appender.submit(str(ascii_only), b"0001 100,00\r\n", "utf-8", "cp1251")
        appender.submit(str(mixed), b"1;ok\r\n", "utf-8", "cp1251")
        appender.submit(str(mixed), "2;сбп\r\n".encode(), "utf-8", "cp1251")
        appender.submit(str(mixed), b"3;ok\r\n", "utf-8", "cp1251")  # after the worker's chunk
        appender.submit(str(ascii_only), "ИТОГО 1\r\n".encode(), "utf-8", "cp1251")
        appender.drain()
        assert ascii_only.read_bytes().decode("cp1251") == "0001 100,00\r\nИТОГО 1\r\n"
        assert mixed.read_bytes().decode("cp1251") == "1;ok\r\n2;сбп\r\n3;ok\r\n"
        assert len(sent) == 4  # three chunks and the drain marker; the two ASCII firsts went direct
    finally:
        appender.close()


def test_worker_failure_is_reported(tmp_path):
    appender = BackgroundAppender()
    appender.submit(str(tmp_path / "missing" / "x.txt"), "ы".encode(), "utf-8", "cp1251")
    with pytest.raises(RuntimeError, match="worker"):
        appender.drain()
    appender.close()
