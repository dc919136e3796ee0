"""The contract page is generated from the contracts and the ingestion page names every reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingestion.contracts.docs import PAGE, render
from ingestion.contracts.model import DUCKDB_TYPES
from ingestion.warehouse import AUDIT_COLUMNS, QUARANTINE_COLUMNS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_contract_docs_are_current():
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "run `uv run python -m ingestion.contracts.docs` and commit docs/contracts.md"
    )


def test_every_quarantine_reason_in_the_code_is_documented():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "ingestion").rglob("*.py"))
    reasons = set(re.findall(r'"((?:invalid|missing|too|line|wrong|orphan|placeholder|unbalanced)'
                             r'_[a-z_]+)"', code))  # fmt: skip
    reasons -= set(AUDIT_COLUMNS) | set(QUARANTINE_COLUMNS)
    reasons |= {f"invalid_{kind}" for kind in DUCKDB_TYPES if kind != "string"}
    reasons |= set(re.findall(r'FileRejected\([^,]+, "([a-z_]+)"', code))
    reasons |= set(re.findall(r'self\.reject\(\s*"([a-z_]+)"', code))
    page = (ROOT / "docs" / "ingestion.md").read_text(encoding="utf-8")
    assert reasons >= {"too_many_fields", "invalid_phone", "trailer_mismatch"}
    assert not {r for r in reasons if f"`{r}`" not in page}
