"""Query helpers shared by the warehouse tests."""


def first_row(con, sql: str, params=None) -> tuple:
    """The first row of a query on a read-only warehouse connection."""
    return con.execute(sql, params or []).fetchone()
