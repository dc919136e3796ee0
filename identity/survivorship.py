"""The golden record: one value per attribute, chosen by a documented rule, with its lineage.

Rules (docs/identity.md): АБС is master for the legal name, birth date, sex, document and the
INN/SNILS (a valid one only), the freshest АБС record first; other systems fill in only where
the client has no АБС record. The freshest valid value from any source wins for the phone and
the e-mail. Values are picked, never blended: each comes whole from one source record, named in
the lineage table (one ``<attribute>_record_key`` column per attribute).
"""

from __future__ import annotations

import polars as pl

from ingestion.field_rules import RUSSIAN_MOBILE

SOURCE_RANK = {"abs": 0, "cards": 1, "dbo": 2, "contact_center": 3}
IDENTITY_ATTRIBUTES = {
    "surname": ("surname_clean",),
    "first_name": ("first_name_clean",),
    "patronymic": ("patronymic_clean",),
    "birth_date": ("birth_date_key",),
    "sex": ("sex",),
    "document": ("document_type", "document_series", "document_number"),
    "inn": ("inn_valid",),
    "snils": ("snils_valid",),
    "registration_address": ("address",),
    "ogrnip": ("ogrnip",),
}
"""Golden attribute → the record columns it is taken from together (a document is one unit)."""

READS = (
    "golden_client_id",
    "record_key",
    "role",
    "source",
    "seen_date",
    "first_name_is_initial",
    "phones_e164",
    "email_key",
    *sorted({c for columns in IDENTITY_ATTRIBUTES.values() for c in columns}),
)
"""Record columns survivorship and the client roles read."""


def _pick(frame: pl.DataFrame, order: pl.Series, columns: tuple[str, ...]) -> pl.DataFrame:
    """First record with a value per client, records taken in ``order`` (row positions). Only
    the attribute's columns are gathered: sorting the whole frame copied every column."""
    return (
        frame.select("golden_client_id", *columns, "record_key")[order]
        .filter(pl.col(columns[-1]).is_not_null())
        .group_by("golden_client_id", maintain_order=True)
        .first()
    )


def golden_records(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records with their golden_client_id → (one row per client, the key of the source record
    each golden attribute came from)."""
    rank = pl.col("source").replace_strict(SOURCE_RANK).alias("source_rank")
    seen = pl.col("seen_date").fill_null(pl.date(1900, 1, 1)).alias("_seen")
    # Callers carry no identity attribute (only a phone), so they never win one.
    by_authority = (
        records.select(rank, "first_name_is_initial", seen, "record_key")
        .with_row_index("_row")
        .sort(
            ["source_rank", "first_name_is_initial", "_seen", "record_key"],
            descending=[False, False, True, False],
        )["_row"]
    )
    golden = records.select("golden_client_id").unique()
    for attribute, columns in IDENTITY_ATTRIBUTES.items():
        golden = _join_pick(golden, _pick(records, by_authority, columns), attribute, columns)
    contacts = records.select(
        "golden_client_id",
        "record_key",
        "email_key",
        pl.col("phones_e164")
        .list.eval(pl.element().filter(pl.element().str.contains(RUSSIAN_MOBILE)))
        .list.first()
        .alias("mobile_phone"),
    )
    by_freshness = (
        records.select(seen, rank, "record_key")
        .with_row_index("_row")
        .sort(["_seen", "source_rank", "record_key"], descending=[True, False, False])["_row"]
    )
    for attribute, column in (("mobile_phone", "mobile_phone"), ("email", "email_key")):
        golden = _join_pick(golden, _pick(contacts, by_freshness, (column,)), attribute, (column,))
    lineage_columns = [c for c in golden.columns if c.endswith(LINEAGE_SUFFIX)]
    lineage = golden.select("golden_client_id", *lineage_columns)
    return golden.drop(lineage_columns).rename(
        {
            "surname_clean": "surname",
            "first_name_clean": "first_name",
            "patronymic_clean": "patronymic",
            "birth_date_key": "birth_date",
            "inn_valid": "inn",
            "snils_valid": "snils",
            "address": "registration_address",
            "email_key": "email",
        }
    ), lineage


LINEAGE_SUFFIX = "_record_key"


def _join_pick(golden, picked, attribute: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Add the picked value(s) and, for lineage, the key of the record they came from."""
    return golden.join(
        picked.select(
            "golden_client_id",
            *columns,
            pl.col("record_key").alias(f"{attribute}{LINEAGE_SUFFIX}"),
        ),
        on="golden_client_id",
        how="left",
    )


CONTACT_POINTS_SQL = """
with phones as (
    select golden_client_id, source, seen_date, unnest(phones_e164) as value
    from intermediate.int_client_records_unioned
),
emails as (
    select golden_client_id, source, seen_date,
           coalesce(email_canonical, lower(trim(emails))) as value,
           email_key is not null as is_valid
    from intermediate.int_client_records_unioned
    where coalesce(email_canonical, emails) is not null
),
points as (
    select golden_client_id, 'phone' as contact_type, value,
           regexp_full_match(value, $mobile) as is_valid, seen_date, source
    from phones where value is not null
    union all
    select golden_client_id, 'email', value, is_valid, seen_date, source from emails
)
select golden_client_id, contact_type, value, bool_or(is_valid) as is_valid,
       min(seen_date) as first_seen_date, max(seen_date) as last_seen_date,
       concat_ws(',',
           case when bool_or(source = 'abs') then 'abs' end,
           case when bool_or(source = 'cards') then 'cards' end,
           case when bool_or(source = 'contact_center') then 'contact_center' end,
           case when bool_or(source = 'dbo') then 'dbo' end
       ) as sources,
       count(*) as records
from points
group by golden_client_id, contact_type, value
"""
"""Every phone and e-mail of every client with first/last seen and the systems it came from
(clients have several, and the contact policy needs all of them). Computed by DuckDB from the
records table already written, within its memory limit: in Polars it took 1 GiB more at 1 M
persons. Only plain aggregates, which DuckDB can spill: a distinct, ordered string_agg ran out
of a 1 GB limit at 1 M persons."""


def write_contact_points(con) -> None:
    con.execute(
        f"create or replace table marts.dim_client_contacts as {CONTACT_POINTS_SQL}",
        {"mobile": RUSSIAN_MOBILE},
    )
