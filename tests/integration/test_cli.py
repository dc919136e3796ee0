"""The ``cdp`` command: its help lists the subcommands and ``simulate`` writes a bank."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cdp.cli import build_parser, main

pytestmark = pytest.mark.integration


def test_help_lists_every_subcommand():
    out = subprocess.run(
        [sys.executable, "-m", "cdp.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("run", "simulate", "models", "settings"):
        assert command in out


def test_simulate_writes_landing_and_truth_apart(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CDP_HOME", str(tmp_path / "unused"))
    code = main(
        [
            "simulate",
            "--persons",
            "200",
            "--months",
            "4",
            "--delta-days",
            "3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "rows" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) >= ["abs", "cards"]
    assert (tmp_path / "truth" / "persons.parquet").exists()
    assert not (tmp_path / "unused").exists()


def test_unknown_command_is_rejected():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["frobnicate"])
