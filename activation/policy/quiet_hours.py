"""Quiet hours for call lists: a client is called only between ``call_hours`` (09:00–20:00) of
the local time of the region they are registered in.

The region is the first part of the golden registration address (``Белгородская обл.``,
``Респ. Башкортостан``, ``г. Москва``) matched to ``activation/reference/region_time_zones.csv``
(constitutional subjects → IANA zone and UTC offset, by Federal Law 107-FZ «Об исчислении
времени» and the laws that moved regions since; Russia keeps no daylight saving time since
26.10.2014). A client whose region is not known cannot be called inside quiet hours with
certainty and is left out of call lists. The call list carries the zone and the allowed window
in UTC for the dialler.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from activation.policy import Rule, RuleContext

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "region_time_zones.csv"
RELATION = "activation_region_time_zones"


def region_key(expression: str) -> str:
    """SQL: a region spelling → a key equal for ``Респ. Башкортостан``, ``Республика
    Башкортостан`` and ``Башкортостан Респ``, ``г. Москва`` and ``Москва``."""
    folded = (
        f"replace(replace(replace(lower({expression}), '.', ''), 'республика', 'респ'), "
        "'область', 'обл')"
    )
    return (
        f"array_to_string(list_sort(list_filter(string_split({folded}, ' '), "
        "t -> t not in ('', 'г'))), ' ')"
    )


def _prepare(con: duckdb.DuckDBPyConnection, ctx: RuleContext) -> None:
    zones = pl.read_csv(REFERENCE, schema_overrides={"region_code": pl.String})
    con.register(f"{RELATION}_csv", zones.to_arrow())
    con.execute(
        f"create or replace temp view {RELATION} as "
        f"select *, {region_key('region_name')} as region_key from {RELATION}_csv"
    )
    address_region = region_key("split_part(d.registration_address, ',', 1)")
    con.execute(
        "create or replace temp view activation_client_time_zones as "
        "select d.golden_client_id, z.time_zone, z.utc_offset_hours from marts.dim_clients d "
        f"join {RELATION} z on z.region_key = {address_region}"
    )


def _query(ctx: RuleContext) -> tuple[str, dict]:
    return "select golden_client_id from activation_client_time_zones", {}


RULE = Rule(
    name="quiet_hours",
    summary="call lists only: the client's time zone is known, so the dialler can keep to "
    "09:00–20:00 local time",
    legal_basis="bank policy after the hours 230-FZ art. 7 part 3 allows for calls to debtors "
    "(08–22 weekdays, 09–20 weekends), applied to marketing calls as the stricter 09–20 every day",
    mode="require",
    reads=("marts.dim_clients",),
    query=_query,
    channels=("call",),
    prepare=_prepare,
)
