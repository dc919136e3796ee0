"""Run a scenario stage by stage, each as a whole child process, and record wall time and
peak memory: the largest sum of resident sets over the stage's process tree, sampled every
0.1 s, or the largest single process's own maximum if that is higher (a spike shorter than a
sample). A process's maximum alone is not enough: processes running side by side (two
transcoders, Dagster and its dbt) add up, and the highest of them hid half of a 14 GB peak.
The largest single process is kept too (``largest_process_mb``): the tree also holds helpers
that are not the stage's work, such as the two small processes Dagster starts per step to copy
its compute logs.

    python -m benchmarks.run bank-1m          # or: make bench SCENARIO=bank-1m

Writes ``benchmarks/results/<scenario>.json`` and ``.md``, then the scaling report across
scenarios (``benchmarks/report.py``: docs/performance.md and its plot); data goes to
``data/bench/<scenario>``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.report import write as write_scaling_report
from benchmarks.scenarios import SCENARIOS
from benchmarks.stages import STAGES

RESULTS = Path(__file__).parent / "results"


def run_stage(stage: str, scenario: str, home: Path) -> dict:
    """Child-process entry: run one stage and report its figures as JSON on stdout."""
    os.environ.update(SCENARIOS[scenario].environment)
    started = time.perf_counter()
    details = STAGES[stage](SCENARIOS[scenario], home)
    seconds = time.perf_counter() - started
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return {"stage": stage, "seconds": round(seconds, 1), "peak_mb": peak_kb // 1024, **details}


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--stage":
        stage, scenario = argv[1], argv[2]
        home = Path("data/bench") / scenario
        print("RESULT " + json.dumps(run_stage(stage, scenario, home.resolve())))
        return 0
    if not argv or argv[0] not in SCENARIOS or len(argv) not in (1, 2):
        print(
            f"usage: python -m benchmarks.run {{{'|'.join(SCENARIOS)}}} [stage,stage,...]",
            file=sys.stderr,
        )
        return 2
    scenario = SCENARIOS[argv[0]]
    stages = argv[1].split(",") if len(argv) == 2 else list(scenario.stages)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        print(f"unknown stage(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    results = []
    failed = 0
    for stage in stages:
        started = time.perf_counter()
        done, tree_peak_mb = _run_sampling_memory(
            [sys.executable, "-m", "benchmarks.run", "--stage", stage, scenario.name]
        )
        if done.returncode != 0:
            # The stages measured before it are kept: a bank-1m run takes an hour.
            print(done.stderr, file=sys.stderr)
            print(f"{stage}: failed, the stages after it not run", file=sys.stderr)
            failed = done.returncode
            break
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        result["largest_process_mb"] = result["peak_mb"]
        result["peak_mb"] = max(result["peak_mb"], tree_peak_mb)
        results.append(result)
        print(f"{stage}: {result['wall_seconds']} s, peak {result['peak_mb']} MB")
    report = {
        "scenario": scenario.name,
        "persons": scenario.persons,
        "months": scenario.months,
        "machine": f"{platform.machine()}, {_cpus()} cores, Python {platform.python_version()}",
        "measured_on": time.strftime("%Y-%m-%d"),
        "stages": _merged(scenario, results),
    }
    if not results:
        return failed
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{scenario.name}.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    )
    (RESULTS / f"{scenario.name}.md").write_text(markdown(report))
    write_scaling_report()
    return failed


def _run_sampling_memory(command: list[str]) -> tuple[subprocess.CompletedProcess, int]:
    """Run ``command`` to its end; also return the largest resident memory, in MB, that it and
    its descendants held together at any sample."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not finished.wait(0.1):
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for member in tree:
                try:
                    total += member.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            peak = max(peak, total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    finished.set()
    sampler.join()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), peak // 2**20


def _merged(scenario, results: list[dict]) -> list[dict]:
    """A partial run replaces its stages in the scenario's last report and keeps the others
    (each stage row carries the date it was measured)."""
    today = time.strftime("%Y-%m-%d")
    fresh = {r["stage"]: {**r, "measured_on": today} for r in results}
    path = RESULTS / f"{scenario.name}.json"
    previous = json.loads(path.read_text())["stages"] if path.exists() else []
    kept = {r["stage"]: r for r in previous if r["stage"] not in fresh}
    order = list(scenario.stages)
    merged = {**kept, **fresh}
    return sorted(merged.values(), key=lambda r: order.index(r["stage"]) if r["stage"] in order
                  else len(order))  # fmt: skip


def markdown(report: dict) -> str:
    lines = [
        f"# {report['scenario']}: {report['persons']:,} persons, {report['months']} months",
        "",
        f"Measured {report['measured_on']} on {report['machine']} by `make bench "
        f"SCENARIO={report['scenario']}`.",
        "",
        "| stage | wall time, s | peak memory, MB | figures |",
        "|---|---:|---:|---|",
    ]
    fixed = {"stage", "seconds", "wall_seconds", "peak_mb"}
    for r in report["stages"]:
        figures = ", ".join(f"{k}={v}" for k, v in r.items() if k not in fixed)
        lines.append(f"| {r['stage']} | {r['wall_seconds']} | {r['peak_mb']:,} | {figures} |")
    return "\n".join(lines) + "\n"


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
