"""How the models read the dbt feature tables (``dbt_project/models/ml``)."""

WATERMARKS = ("_loads_through", "_identity_through")

FEATURE_ROW = f"columns(c -> c not in {WATERMARKS})"
"""Every column of a feature table's row but the watermarks an incremental build stamps it with
(when the row was built, not what it says: ``dbt_project/macros/client_refresh_scope.sql``),
for a ``select`` over that one table: no model feature, and no part of a data fingerprint."""
