from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from cdp.settings import Settings, load_settings

pytestmark = pytest.mark.unit


def test_paths_default_inside_home(tmp_path):
    s = load_settings(home=tmp_path)
    assert s.landing_dir == tmp_path / "landing"
    assert s.truth_dir == tmp_path / "truth"
    assert s.warehouse_path == tmp_path / "warehouse" / "cdp.duckdb"
    assert s.truth_dir.parent == s.landing_dir.parent and s.truth_dir != s.landing_dir


def test_environment_is_read_with_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("CDP_HOME", str(tmp_path))
    monkeypatch.setenv("CDP_SIM_PERSONS", "1234")
    monkeypatch.setenv("CDP_BUSINESS_DATE", "2026-01-31")
    s = load_settings()
    assert s.sim_persons == 1234
    assert s.business_date == dt.date(2026, 1, 31)
    assert s.home == tmp_path


def test_explicit_overrides_win(monkeypatch, tmp_path):
    monkeypatch.setenv("CDP_SIM_SEED", "1")
    assert load_settings(home=tmp_path, sim_seed=9).sim_seed == 9


def test_bad_values_are_rejected(monkeypatch):
    monkeypatch.setenv("CDP_SIM_PERSONS", "ten")
    with pytest.raises(ValueError, match="sim_persons"):
        load_settings()


def test_every_setting_is_documented_in_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [f"CDP_{name.upper()}" for name in Settings.model_fields]
    missing = [m for m in missing if m not in readme]
    assert missing == []


def test_ingestion_connects_with_its_memory_limit(monkeypatch, tmp_path):
    from cdp.warehouse import connect

    monkeypatch.setenv("CDP_INGEST_MEMORY_LIMIT", "512MB")
    settings = load_settings(home=tmp_path)
    with connect(settings, memory_limit=settings.ingest_memory_limit) as con:
        [(limit,)] = con.execute("select current_setting('memory_limit')").fetchall()
    assert limit == "488.2 MiB"
    with pytest.raises(ValueError, match="ingest_memory_limit"):
        load_settings(ingest_memory_limit="half the RAM")


def test_a_lower_memory_limit_holds_for_its_queries_only(tmp_path):
    from cdp.warehouse import connect, duckdb_settings

    def limit(con):
        return con.execute("select current_setting('memory_limit')").fetchone()[0]

    with connect(load_settings(home=tmp_path), memory_limit="1GB") as con:
        with duckdb_settings(con, memory_limit="512MB"):
            assert limit(con) == "488.2 MiB"
        assert limit(con).startswith("953.")  # restored as DuckDB prints it, to 0.1 MiB
        with pytest.raises(duckdb.Error), duckdb_settings(con, memory_limit="256MB"):
            con.execute("select no_such_column")
        assert limit(con).startswith("953.")
        [(purges,)] = con.execute(
            "select current_setting('allocator_background_threads')"
        ).fetchall()
    assert purges is True


def test_every_model_runs_its_trees_on_the_threads_the_settings_give(monkeypatch, tmp_path):
    from orchestration.defs.cross_sell import cross_sell_config
    from orchestration.defs.lead_priority import lead_priority_config
    from orchestration.defs.ml import churn_config

    monkeypatch.setenv("CDP_ML_TREE_THREADS", "3")
    settings = load_settings(home=tmp_path)
    for config in (churn_config, cross_sell_config, lead_priority_config):
        assert config(settings).tree_threads == 3
