"""Vectorised string helpers that numpy lacks or gets wrong on edge cases."""

from __future__ import annotations

import numpy as np


def zfill(values, width: int) -> np.ndarray:
    """Left-pad with zeros; unlike ``np.strings.zfill`` it accepts an empty array (numpy 2
    raises on one, which a small bank's quiet month produces)."""
    values = np.asarray(values)
    return np.strings.zfill(values, width) if values.size else values.astype(f"<U{width}")
