"""The one error a file can fail with: it names the file, a reason code and the cause."""

from __future__ import annotations

from pathlib import Path


class FileRejected(Exception):
    """A file that cannot be read at all; it is recorded in the load audit, never half-loaded."""

    def __init__(self, path: Path, reason: str, detail: str):
        self.path = Path(path)
        self.reason = reason
        self.detail = detail
        super().__init__(f"{self.path}: {reason}: {detail}")
