"""Streaming re-encoding between UTF-8 and the legacy code pages bank systems use (cp1251).

``BackgroundAppender`` hands the work to a worker process (``python -m cdp.transcode``) on the
second core: Python's codec runs at ~280 MB/s and holds the GIL, so a thread would not help,
and a plain subprocess avoids multiprocessing's re-import of the caller's main module.
"""

from __future__ import annotations

import queue
import struct
import subprocess
import sys
import threading
from typing import BinaryIO

_HEADER = struct.Struct("<IQ")
"""Frame header: length of the UTF-8 task line, length of the payload."""


def append_transcoded(path: str, data: bytes, source: str, target: str) -> int:
    """Append ``data`` (bytes in ``source``) to ``path`` re-encoded as ``target``; characters the
    target lacks become ``?``, as legacy exports do. Returns the bytes written."""
    out = data.decode(source).encode(target, errors="replace")
    with open(path, "ab") as fh:
        fh.write(out)
    return len(out)


class BackgroundAppender:
    """Appends re-encoded chunks in submission order from a worker process.

    A feeder thread pushes chunks into the worker's pipe (blocking there without the GIL), so
    the caller only waits when ``max_pending`` chunks are already queued."""

    def __init__(self, max_pending: int = 4) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cdp.transcode"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def submit(self, path: str, data: bytes, source: str, target: str) -> None:
        self._raise_if_failed()
        task = f"{path}\t{source}\t{target}".encode()
        self._queue.put(_HEADER.pack(len(task), len(data)) + task + data)

    def drain(self) -> None:
        """Wait until every submitted chunk is on disk."""
        self._queue.put(_HEADER.pack(0, 0))
        self._queue.join()
        self._raise_if_failed()
        if self._proc.stdout.readline() != b"ok\n":
            raise RuntimeError(f"transcoding worker failed (exit code {self._proc.poll()})")

    def close(self) -> None:
        self._queue.put(None)
        self._feeder.join()
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait()

    def _feed(self) -> None:
        while (frame := self._queue.get()) is not None:
            try:
                if self._error is None:
                    self._proc.stdin.write(frame)
                    self._proc.stdin.flush()
            except OSError as err:
                self._error = err
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"transcoding worker died (exit code {self._proc.poll()})")


def _serve(inp: BinaryIO, out: BinaryIO) -> None:
    while header := inp.read(_HEADER.size):
        task_len, data_len = _HEADER.unpack(header)
        if task_len == 0:
            out.write(b"ok\n")
            out.flush()
            continue
        path, source, target = inp.read(task_len).decode().split("\t")
        append_transcoded(path, inp.read(data_len), source, target)


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
