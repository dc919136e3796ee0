"""How the models read the dbt feature tables (``dbt_project/models/ml``)."""

BUILD_STAMPS = ("_loads_through", "_identity_through", "_written_by")

FEATURE_ROW = f"columns(c -> c not in {BUILD_STAMPS})"
"""Every column of a feature table's row but the stamps a build puts on it — its watermarks
(``dbt_project/macros/client_refresh_scope.sql``) and the run that wrote it
(``dbt_project/macros/written_by.sql``): when and by whom the row was built, not what it says —
for a ``select`` over that one table: no model feature, and no part of a data fingerprint."""
