"""Static reference data of the simulator (small UTF-8 CSV files beside this module).

See README.md in this folder for the source and derivation of every file.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent


@cache
def read_rows(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``<name>.csv`` as dicts of strings (read once per process)."""
    with (REFERENCE_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))
