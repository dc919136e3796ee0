from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from simulator.strings import pick_labels, zfill

pytestmark = pytest.mark.unit


def test_pick_labels_equals_indexing_a_numpy_array():
    labels = ("00", "51", "Офис")
    codes = np.array([2, 0, 0, 1, 2])
    picked = pick_labels(labels, codes)
    assert picked.dtype == pl.String
    assert picked.to_list() == np.array(labels)[codes].tolist()
    assert pick_labels(labels, np.array([], dtype=np.int64)).len() == 0


def test_zfill_accepts_an_empty_array():
    assert zfill(np.array([], dtype=str), 4).size == 0
    assert zfill(np.array(["7", "12345"]), 4).tolist() == ["0007", "12345"]
