"""What sqlfluff's jinja templater lacks of dbt's context, for linting the models (.sqlfluff
``library_path``). sqlfluff renders the project's macros itself but knows neither
``adapter.dispatch`` nor dbt's own macro namespace ``dbt``; the lint dialect is DuckDB, so a
dispatched macro renders its DuckDB implementation, exactly the SQL dbt runs on DuckDB.
``var`` returns the project's own values (sqlfluff's stand-in is a string, which a Jinja
loop over ``range(var(...))`` cannot use)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DBT_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml"


@cache
def _project_vars() -> dict[str, Any]:
    return yaml.safe_load(DBT_PROJECT_FILE.read_text(encoding="utf-8"))["vars"]


def var(name: str, default: Any = None) -> Any:
    """dbt's ``var()``: the value in dbt_project.yml, else the default given."""
    return _project_vars().get(name, default)
