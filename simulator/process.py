"""Run a simulation in its own process, with memory-allocator settings for bulk text output.

Measured on a 200 k-person bank: a third of the CPU went to the kernel, mostly page faults
from memory that polars' jemalloc and glibc hand back to the system and take again moments
later. Keeping freed memory for ten seconds cut page faults 2.7x and wall time by 11 %
(112.8 s → 100.8 s) at 0.6 GB more peak memory. jemalloc then returns it at once (no "muzzy"
stage, whose lazily freed pages still count as resident for another ten seconds): 12 % less
peak memory at 200 k persons (3.19 → 2.82 GB) at the same CPU time. Allocator settings are read
when a process starts, hence the separate process; it also keeps the simulator's memory out of
the caller (the Dagster run, the CLI).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from simulator.config import SimulationParams
from simulator.run import SimulationSummary, simulate

BULK_OUTPUT_ALLOCATOR = {
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:10000,muzzy_decay_ms:0",
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(4 * 2**30),
    "MALLOC_TOP_PAD_": str(256 * 2**20),
}
"""jemalloc (polars) keeps freed pages 10 s, then returns them; glibc (numpy, Python) keeps
arrays up to 32 MB on its heap and trims it only above 4 GB free."""


def simulate_in_process(
    params: SimulationParams, landing_dir: Path, truth_dir: Path
) -> SimulationSummary:
    """``simulate`` in a child process with the bulk-output allocator settings."""
    request = {
        "params": dataclasses.asdict(params),
        "landing_dir": str(landing_dir),
        "truth_dir": str(truth_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "simulator"],
        input=json.dumps(request, default=str),
        capture_output=True,
        text=True,
        env={**os.environ, **BULK_OUTPUT_ALLOCATOR},
    )
    if done.returncode != 0:
        raise RuntimeError(f"simulation failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["landing_dir"], result["truth_dir"] = Path(landing_dir), Path(truth_dir)
    return SimulationSummary(**result)


def main() -> None:
    request = json.loads(sys.stdin.read())
    params = request["params"]
    params["business_date"] = dt.date.fromisoformat(params["business_date"])
    summary = simulate(
        SimulationParams(**params), Path(request["landing_dir"]), Path(request["truth_dir"])
    )
    print(json.dumps(dataclasses.asdict(summary), default=str))
