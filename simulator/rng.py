"""Named random streams, so each component's draws depend only on the seed and its own name.

Adding a component or reordering calls never shifts another component's numbers, which keeps
files byte-identical across runs and keeps unrelated changes from reshuffling the whole bank.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *names: str | int) -> np.random.Generator:
    """A generator keyed by the run seed and a path of names, e.g. ``stream(42, "cards", 3)``."""
    keys = [zlib.crc32(str(n).encode()) for n in names]
    return np.random.default_rng([seed, *keys])
