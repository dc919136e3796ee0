"""Test tiers share one tiny simulated bank, built once per session in a temporary folder."""

from __future__ import annotations

import datetime as dt

import pytest

from cdp.settings import Settings, load_settings

TINY_BANK = {"sim_persons": 3000, "sim_months": 12, "sim_seed": 7, "sim_delta_days": 10}
"""Big enough for stable rates (defects, churn) and a truth AUC with a usable error bar."""


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory) -> Settings:
    """Settings pointing at a fresh data home; nothing is read from the developer's env."""
    home = tmp_path_factory.mktemp("cdp_home")
    return load_settings(home=home, business_date=dt.date(2026, 10, 31), **TINY_BANK)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest(tiny_settings: Settings):
    """dagster-dbt builds the warehouse assets from dbt's manifest, so definitions cannot load
    without it: ``make setup`` writes it; parse again only if the dbt project changed since."""
    from orchestration.defs.warehouse import dbt_project, manifest_is_current, prepare_manifest

    project = dbt_project()
    if not manifest_is_current(project):
        prepare_manifest(tiny_settings, project)
    return project.manifest_path


@pytest.fixture(scope="session")
def tiny_bank(tiny_settings: Settings):
    """Simulate the tiny bank once; returns the settings and the run summary."""
    from simulator import simulate
    from simulator.config import params_from_settings

    summary = simulate(
        params_from_settings(tiny_settings),
        landing_dir=tiny_settings.landing_dir,
        truth_dir=tiny_settings.truth_dir,
    )
    return tiny_settings, summary


@pytest.fixture(scope="session")
def raw_bank(tiny_bank):
    """Load the tiny bank's landing zone into raw through the Dagster job, once per session."""
    from orchestration.definitions import build_definitions
    from orchestration.runner import partition_range_tags

    settings, _ = tiny_bank
    job = build_definitions(settings).resolve_job_def("ingest_raw_job")
    result = job.execute_in_process(tags=partition_range_tags(job), raise_on_error=False)
    return settings, result


@pytest.fixture(scope="session")
def identity_bank(raw_bank):
    """Resolve the golden record of the tiny bank through the Dagster job, once per session."""
    from orchestration.definitions import build_definitions

    settings, _ = raw_bank
    job = build_definitions(settings).resolve_job_def("resolve_clients_job")
    return settings, job.execute_in_process(raise_on_error=False)


@pytest.fixture(scope="session")
def warehouse_bank(identity_bank):
    """Build the dbt warehouse over the raw layer and the golden record through the Dagster
    job, once (the golden-record tables are dbt sources with tests)."""
    from orchestration.definitions import build_definitions

    settings, _ = identity_bank
    job = build_definitions(settings).resolve_job_def("build_warehouse_job")
    return settings, job.execute_in_process(raise_on_error=False)


def read_only(path):
    """A read-only connection to ``path``, after a garbage collection: when an earlier
    in-process connection to the same file is only held by unreachable objects, DuckDB's
    instance cache waits for that instance to go, spinning with the GIL held, so the
    collector never runs and the test never starts (seen in the full suite)."""
    import gc

    import duckdb

    gc.collect()
    return duckdb.connect(str(path), read_only=True)


@pytest.fixture
def built(warehouse_bank):
    """Read-only handle on the built dbt warehouse, closed after each test (one writer per
    file)."""
    settings, _ = warehouse_bank
    with read_only(settings.warehouse_path) as con:
        yield con


@pytest.fixture
def warehouse(raw_bank):
    """Read-only handle on the loaded warehouse, closed after each test (one writer per file)."""
    settings, _ = raw_bank
    with read_only(settings.warehouse_path) as con:
        yield con
