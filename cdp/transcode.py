"""Streaming re-encoding between UTF-8 and the legacy code pages bank systems use (cp1251).

``BackgroundAppender`` hands the work to a worker process (``python -m cdp.transcode``) on the
second core: Python's codec runs at ~280 MB/s and holds the GIL, so a thread would not help,
and a plain subprocess avoids multiprocessing's re-import of the caller's main module.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import functools
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable
from typing import BinaryIO

_HEADER = struct.Struct("<IQ")
"""Frame header: length of the UTF-8 task line, length of the payload."""
PIPE_BYTES = 2**20
"""Pipe buffer to the worker (Linux's default is 64 KB, its unprivileged maximum 1 MB): fewer
wake-ups of the worker per chunk."""
PIECE_BYTES = 8 * 2**20
"""A chunk is read and re-encoded piece by piece: buffers below glibc's 32 MB mmap threshold
are reused from the heap instead of being mapped and faulted in anew for every chunk."""


def append_transcoded(path: str, pieces: Iterable[bytes], source: str, target: str) -> int:
    """Append text (consecutive pieces of bytes in ``source``) to ``path`` re-encoded as
    ``target``; characters the target lacks become ``?``, as legacy exports do. Pure-ASCII pieces
    (a third of the core-banking bytes: the fixed-width balances) are copied as they are when
    both encodings spell ASCII alike. Returns the bytes written."""
    decoder = codecs.getincrementaldecoder(source)()
    as_is = _ascii_alike(source, target)
    written = 0
    with open(path, "ab") as fh:
        for piece in pieces:
            if as_is and piece.isascii() and not decoder.getstate()[0]:
                written += fh.write(piece)
            else:
                written += fh.write(decoder.decode(piece).encode(target, errors="replace"))
        written += fh.write(decoder.decode(b"", final=True).encode(target, errors="replace"))
    return written


@functools.cache
def _ascii_alike(source: str, target: str) -> bool:
    ascii_bytes = bytes(range(128))
    return ascii_bytes.decode(source, errors="replace").encode(target, "replace") == ascii_bytes


class BackgroundAppender:
    """Appends re-encoded chunks in submission order from a worker process.

    A feeder thread pushes chunks into the worker's pipe (blocking there without the GIL), so
    the caller only waits when ``max_pending`` chunks are already queued. A file none of whose
    chunks went to the worker yet takes an ASCII chunk straight from the caller when both
    encodings spell ASCII alike (the fixed-width balances, a third of the core-banking bytes,
    never cross the pipe); once a chunk of a file went to the worker, all of its later chunks
    follow it there, so the order holds."""

    def __init__(self, max_pending: int = 4) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cdp.transcode"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        if hasattr(fcntl, "F_SETPIPE_SZ"):
            with contextlib.suppress(OSError):
                fcntl.fcntl(self._proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._queue: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue(maxsize=max_pending)
        self._via_worker: set[str] = set()
        self._error: BaseException | None = None
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def submit(self, path: str, data: bytes | memoryview, source: str, target: str) -> None:
        self._raise_if_failed()
        if path not in self._via_worker and _ascii_alike(source, target) and bytes(data).isascii():
            with open(path, "ab") as fh:
                fh.write(data)
            return
        self._via_worker.add(path)
        task = f"{path}\t{source}\t{target}".encode()
        self._queue.put((_HEADER.pack(len(task), len(data)) + task, data))

    def drain(self) -> None:
        """Wait until every submitted chunk is on disk."""
        self._queue.put((_HEADER.pack(0, 0), b""))
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
                    self._proc.stdin.writelines(frame)
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
        sizes = [PIECE_BYTES] * (data_len // PIECE_BYTES) + [data_len % PIECE_BYTES]
        append_transcoded(path, (inp.read(size) for size in sizes), source, target)


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
