"""Ordered background file writing in a worker process, and cp1251 re-encoding.

Bank extracts are large text files; rendering and re-encoding them is most of a simulation's
CPU. ``OrderedWorker`` hands that work to a second process (the second core): Python's codecs
hold the GIL, so a thread would not help, and a plain subprocess avoids multiprocessing's
re-import of the caller's main module. Tasks run strictly in submission order, so appends to
one file never interleave.
"""

from __future__ import annotations

import json
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

_HEADER = struct.Struct("<IQ")
"""Frame header: length of the JSON task description, length of the payload."""
_SYNC = "sync"


def append_transcoded(path: str, data: bytes, source: str, target: str) -> int:
    """Append ``data`` (bytes in ``source``) to ``path`` re-encoded as ``target``; characters the
    target lacks become ``?``, as legacy exports do. Returns the bytes written."""
    out = data if source == target else data.decode(source).encode(target, errors="replace")
    with open(path, "ab") as fh:
        fh.write(out)
    return len(out)


class OrderedWorker:
    """A worker process (``python -m <module>``) that runs tasks in submission order.

    A feeder thread pushes tasks into the worker's pipe (blocking there without the GIL), so the
    caller only waits when ``max_pending`` tasks are already queued."""

    def __init__(self, module: str, max_pending: int = 4) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def submit(self, task: dict, payload: bytes = b"") -> None:
        self._raise_if_failed()
        head = json.dumps(task).encode()
        self._queue.put(_HEADER.pack(len(head), len(payload)) + head + payload)

    def drain(self) -> None:
        """Wait until every submitted task is done."""
        self.submit({"kind": _SYNC})
        self._queue.join()
        self._raise_if_failed()
        if self._proc.stdout.readline() != b"ok\n":
            raise RuntimeError(f"file worker failed (exit code {self._proc.poll()})")

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
            raise RuntimeError(f"file worker died (exit code {self._proc.poll()})")


def serve(handlers: dict[str, Callable[[dict, bytes], None]], inp: BinaryIO, out: BinaryIO):
    """The worker's loop: run each task by its ``kind``; answer a sync with ``ok``."""
    while header := inp.read(_HEADER.size):
        task_len, payload_len = _HEADER.unpack(header)
        task = json.loads(inp.read(task_len))
        payload = inp.read(payload_len)
        if task["kind"] == _SYNC:
            out.write(b"ok\n")
            out.flush()
        else:
            handlers[task["kind"]](task, payload)


def _append(task: dict, payload: bytes) -> None:
    append_transcoded(task["path"], payload, "utf-8", task["encoding"])


if __name__ == "__main__":
    serve({"append": _append}, sys.stdin.buffer, sys.stdout.buffer)
