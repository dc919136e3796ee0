"""``adapter.dispatch`` as dbt resolves it on the DuckDB target: ``duckdb__<name>``, else
``default__<name>``, from the project's macros (dbt_project/macros/cross_db); and the one
catalog call a model's body makes."""

from __future__ import annotations

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None):
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise KeyError(f"no duckdb__ or default__ implementation of macro {macro_name!r}")


def get_columns_in_relation(relation) -> list:
    """No warehouse behind the lint: a relation has no columns (the models' watermark checks,
    macros/client_refresh_scope.sql, only raise when dbt executes)."""
    return []
