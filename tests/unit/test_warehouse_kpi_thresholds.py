"""The KPI marts' thresholds and sources agree with the load checks they mirror."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cdp.settings import Settings
from data_quality.gx_suites import CONTACT_VALID, MANDATORY_FILLED
from ingestion.contracts import CONTRACTS

pytestmark = pytest.mark.unit

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def _vars() -> dict:
    return yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def test_scorecard_thresholds_are_the_great_expectations_gates():
    kpi = _vars()
    assert kpi["kpi_dq_min_valid_phone_pct"] == pytest.approx(CONTACT_VALID * 100)
    assert kpi["kpi_dq_min_valid_email_pct"] == pytest.approx(CONTACT_VALID * 100)
    assert kpi["kpi_dq_min_mandatory_filled_pct"] == pytest.approx(MANDATORY_FILLED * 100)


def test_scorecard_quarantine_threshold_is_the_load_checks_error_rate():
    default = Settings.model_fields["quarantine_error_rate"].default
    assert _vars()["kpi_dq_max_quarantine_pct"] == pytest.approx(default * 100)


def test_every_quarantine_table_is_a_source_keyed_by_its_asset():
    sources = yaml.safe_load(
        (DBT_PROJECT / "models/intermediate/_quarantine__sources.yml").read_text(encoding="utf-8")
    )["sources"]
    [quarantine] = [s for s in sources if s["name"] == "quarantine"]
    keys = {t["name"]: t["config"]["meta"]["dagster"]["asset_key"] for t in quarantine["tables"]}
    assert keys == {c.table: ["quarantine", c.table] for c in CONTRACTS}
