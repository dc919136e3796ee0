from __future__ import annotations

import pytest

from cdp.transcode import OrderedWorker, append_transcoded

pytestmark = pytest.mark.unit


def test_append_transcoded_replaces_what_the_code_page_lacks(tmp_path):
    path = tmp_path / "f.csv"
    append_transcoded(str(path), "Ёжик;№1;«ok»;😀\r\n".encode(), "utf-8", "cp1251")
    assert path.read_bytes().decode("cp1251") == "Ёжик;№1;«ok»;?\r\n"


def test_worker_keeps_submission_order(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    worker = OrderedWorker("cdp.transcode")
    try:
        for i in range(200):
            task = {"kind": "append", "path": str(a if i % 2 else b), "encoding": "cp1251"}
            worker.submit(task, f"строка {i}\n".encode())
        worker.drain()
        assert a.read_bytes().decode("cp1251").splitlines()[:2] == ["строка 1", "строка 3"]
        assert len(b.read_bytes().decode("cp1251").splitlines()) == 100
    finally:
        worker.close()


def test_worker_failure_is_reported(tmp_path):
    worker = OrderedWorker("cdp.transcode")
    task = {"kind": "append", "path": str(tmp_path / "missing" / "x"), "encoding": "utf-8"}
    worker.submit(task, b"x")
    with pytest.raises(RuntimeError, match="worker"):
        worker.drain()
    worker.close()
