"""How the models read the dbt feature tables (``dbt_project/models/ml``)."""

from cdp.warehouse import BUILD_STAMPS

FEATURE_ROW = f"columns(c -> c not in {BUILD_STAMPS})"
"""Every column of a feature table's row but the stamps a build puts on it
(``cdp.warehouse.BUILD_STAMPS``: when and by whom the row was built, not what it says), for a
``select`` over that one table: no model feature, and no part of a data fingerprint."""
