"""The warehouse hold: steps' connections share one open database, checkpointed at release."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cdp.settings import load_settings
from cdp.warehouse import WarehouseHold, connect


@pytest.fixture
def settings(tmp_path):
    settings = load_settings(home=tmp_path)
    with connect(settings) as con:
        con.execute("create table t (n integer)")
    return settings


def _log(settings) -> Path:
    """DuckDB's write-ahead log of the warehouse: what is written but not yet checkpointed."""
    return Path(f"{settings.warehouse_path}.wal")


def _write_a_row(settings, memory_limit=None) -> None:
    with connect(settings, memory_limit=memory_limit) as con:
        con.execute("insert into t values (1)")


def test_a_step_closing_its_connection_checkpoints_without_a_hold(settings):
    _write_a_row(settings)
    assert not _log(settings).exists()


@contextmanager
def _held(settings, memory_limit=None) -> Iterator[WarehouseHold]:
    hold = WarehouseHold(settings)
    hold.hold(memory_limit=memory_limit)
    try:
        yield hold
    finally:
        hold.release()


def _rows(settings) -> int:
    with connect(settings, read_only=True) as con:
        return con.execute("select count(*) from t").fetchone()[0]


def test_held_the_row_stays_in_the_log_until_the_release(settings):
    with _held(settings, memory_limit="1GB"):
        _write_a_row(settings, memory_limit="1GB")
        _write_a_row(settings, memory_limit="1GB")
        assert _log(settings).stat().st_size > 0
    assert not _log(settings).exists()
    assert _rows(settings) == 2


def test_a_connection_with_other_settings_releases_the_hold_first(settings):
    """DuckDB refuses a second configuration of an open file in one process; a read-only
    connection is one too."""
    with _held(settings, memory_limit="1GB"):
        _write_a_row(settings, memory_limit="1GB")
        _write_a_row(settings, memory_limit="2GB")
        assert _rows(settings) == 2
    assert not _log(settings).exists()


def test_holding_again_with_the_same_settings_keeps_the_open_database(settings):
    with _held(settings) as hold:
        _write_a_row(settings)
        hold.hold()
        assert _log(settings).stat().st_size > 0
