"""Rules of the codebase itself: who may import dagster, who may read the simulator's truth."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "cdp",
    "simulator",
    "ingestion",
    "identity",
    "orchestration",
    "models_ml",
    "data_quality",
    "serving",
    "activation",
)


def _python_files(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_orchestration_imports_dagster():
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "orchestration"
        for path in _python_files(package)
        if {"dagster", "dagster_dbt"} & _imports(path)
    ]
    assert offenders == []


READS_TRUTH = {"simulator", "tests", "benchmarks"}
PASSES_TRUTH_LOCATION = {"cdp/settings.py", "cdp/cli.py", "orchestration/defs/landing.py"}
"""Files that only define or hand the truth folder to the simulator; they never open it."""


def test_ground_truth_is_read_only_by_evaluation_code():
    """The simulator writes the truth; tests and benchmarks read it; pipeline code never does."""
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package not in READS_TRUTH
        for path in _python_files(package)
        if str(path.relative_to(ROOT)) not in PASSES_TRUTH_LOCATION
        and ("truth_dir" in (text := path.read_text(encoding="utf-8")) or "truth/" in text)
    ]
    assert offenders == []


def test_settings_are_not_read_at_import_time():
    """No module calls load_settings() at top level: the environment is read when asked."""
    offenders = []
    for package in PACKAGES:
        for path in _python_files(package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, (ast.Assign, ast.Expr)) and "load_settings(" in ast.unparse(
                    node
                ):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_loading_the_definitions_leaves_the_heavy_libraries_to_the_runs_that_use_them():
    """Every Dagster process loads the definitions (a run, a sensor tick): Great Expectations
    (≈ 3 s) loads when a suite runs, scikit-learn (≈ 2.8 s) when a model is trained or used."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, orchestration.definitions; "
            "print(sorted({m.split('.')[0] for m in sys.modules} "
            "& {'great_expectations', 'sklearn'}))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
