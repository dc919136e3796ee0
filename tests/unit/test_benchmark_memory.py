"""The benchmark's memory figure counts every process of a stage that is alive at once."""

from __future__ import annotations

import sys

import pytest

from benchmarks.run import _run_sampling_memory

pytestmark = pytest.mark.unit

HOLD = """
import subprocess, sys, time
block = bytearray(300 * 2**20)  # written, so resident
if sys.argv[1] == "parent":
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], "child", sys.argv[2]])
    time.sleep(1.5)
    child.wait()
else:
    time.sleep(1.0)
"""


def test_a_parent_and_its_child_holding_memory_together_add_up():
    done, peak_mb = _run_sampling_memory([sys.executable, "-c", HOLD, "parent", HOLD])
    assert done.returncode == 0
    assert peak_mb >= 600, "either process alone holds 300 MB; together more than 600"
