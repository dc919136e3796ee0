"""Query helpers shared by the warehouse tests."""

SOLE_PROPRIETORS_SINCE = """
select crosswalk.golden_client_id, min(records.registration_date) as since
from marts.dim_client_crosswalk as crosswalk
inner join raw.abs__clients as records on crosswalk.source_record_id = records.abs_client_id
where crosswalk.source = 'abs' and records.client_type = 'ИП'
group by crosswalk.golden_client_id
"""
"""Each person's first ИП record's registration with the bank, read from raw (not from the
warehouse's own dating, which the tests check against it)."""


def first_row(con, sql: str, params=None) -> tuple:
    """The first row of a query on a read-only warehouse connection."""
    return con.execute(sql, params or []).fetchone()
