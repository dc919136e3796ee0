"""The landing writer's worker process: renders frames in their file's layout, re-encodes
them (cp1251 for the core banking system) and appends them, in submission order.

Measured on a 200 k-person bank: rendering and re-encoding were a third of the generating
process's time while the second core sat partly idle.
"""

from __future__ import annotations

import io
import sys

import polars as pl

from cdp.transcode import append_transcoded, serve
from simulator.extracts.formats import FileFormat, render


def _frame(task: dict, payload: bytes) -> None:
    fmt = FileFormat.from_description(task["fmt"])
    rows = render(pl.read_ipc(io.BytesIO(payload)), fmt)
    append_transcoded(task["path"], rows, "utf-8", fmt.append_encoding)


def _append(task: dict, payload: bytes) -> None:
    append_transcoded(task["path"], payload, "utf-8", task["encoding"])


if __name__ == "__main__":
    serve({"frame": _frame, "append": _append}, sys.stdin.buffer, sys.stdout.buffer)
