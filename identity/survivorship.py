"""The golden record: one value per attribute, chosen by a documented rule, with its lineage.

Computed by DuckDB over the records table the run has written (``arg_min`` per attribute in the
rule's order), so memory stays within DuckDB's limit however many clients there are.

Rules (docs/identity.md): АБС is master for the legal name, birth date, sex, document and the
INN/SNILS (a valid one only), the freshest АБС record first; other systems fill in only where
the client has no АБС record. The freshest valid value from any source wins for the phone and
the e-mail. Values are picked, never blended: each comes whole from one source record, named in
the lineage table (one ``<attribute>_record_key`` column per attribute).
"""

from __future__ import annotations

from ingestion.field_rules import RUSSIAN_MOBILE

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

LINEAGE_SUFFIX = "_record_key"


_TIE = "(hash(record_key) % 4294967296)::bigint"
_AGE = "(100000 - datediff('day', date '1900-01-01', seen))::bigint"
AUTHORITY_KEY = (
    f"(source_rank::bigint << 50) + (first_name_is_initial::bigint << 49) + ({_AGE} << 32) + {_TIE}"
)
"""Identity order: АБС first, a full first name before an initial, the freshest, then a hash of
the record key. Packed into one integer (2 + 1 + 17 + 32 bits), computed once per record:
``arg_min`` over an integer is much faster than over the equivalent row value, and the picks
were the run's slowest step at 1 M persons."""
FRESHNESS_KEY = f"({_AGE} << 34) + (source_rank::bigint << 32) + {_TIE}"
"""Contact order: the freshest record first, АБС breaking ties, then a hash of the record key."""
AUTHORITY = "authority_key"
FRESHNESS = "freshness_key"


def _picks() -> list[str]:
    """One ``arg_min`` per golden attribute and per lineage key: the value of the first record
    in the rule's order that has one, and that record's key."""
    picks = []
    for attribute, columns in IDENTITY_ATTRIBUTES.items():
        present = f"{columns[-1]} is not null"
        for column in columns:
            picks.append(f"arg_min({column}, {AUTHORITY}) filter (where {present}) as {column}")
        picks.append(
            f"arg_min(record_key, {AUTHORITY}) filter (where {present}) "
            f"as {attribute}{LINEAGE_SUFFIX}"
        )
    for attribute, column in (("mobile_phone", "mobile_phone"), ("email", "email_key")):
        present = f"{column} is not null"
        picks.append(f"arg_min({column}, {FRESHNESS}) filter (where {present}) as {attribute}")
        picks.append(
            f"arg_min(record_key, {FRESHNESS}) filter (where {present}) "
            f"as {attribute}{LINEAGE_SUFFIX}"
        )
    return picks


GOLDEN_PEOPLE_SQL = f"""
with ranked as (
    select *,
           case source when 'abs' then 0 when 'cards' then 1 when 'dbo' then 2 else 3 end
               as source_rank,
           coalesce(seen_date, date '1900-01-01') as seen,
           list_filter(phones_current, p -> regexp_full_match(p, $mobile))[1] as mobile_phone
    from intermediate.int_client_records_unioned
    where hash(golden_client_id) % $parts = $part and {{scope}}
),
keyed as (
    select *, {AUTHORITY_KEY} as authority_key, {FRESHNESS_KEY} as freshness_key from ranked
)
select golden_client_id,
       {", ".join(_picks())},
       bool_or(role = 'sole_proprietor') as is_sole_proprietor,
       bool_or(role = 'individual') as has_individual_record,
       count(*) filter (where source = 'abs') as abs_records,
       count(*) filter (where source = 'cards') as card_holder_records,
       count(*) filter (where source = 'dbo') as dbo_logins,
       count(*) filter (where source = 'contact_center') as caller_records
from keyed
group by golden_client_id
"""

GOLDEN_RENAMES = {
    "surname_clean": "surname",
    "first_name_clean": "first_name",
    "patronymic_clean": "patronymic",
    "birth_date_key": "birth_date",
    "inn_valid": "inn",
    "snils_valid": "snils",
    "address": "registration_address",
}


GOLDEN_PEOPLE_PARTS = 8
"""Clients are picked in this many hash slices: one ``arg_min`` state per attribute and client
cannot spill, and all of them at once for 1 M clients ran out of a 1 GB DuckDB limit."""


ALL_CLIENTS = "true"
AFFECTED_CLIENTS = "golden_client_id in (select golden_client_id from affected_clients)"
"""Scopes of the survivorship SQL: every client (a full run, tables replaced), or only those in
the temporary table ``affected_clients`` (a daily increment, rows replaced)."""


def write_golden_people(con, scope: str = ALL_CLIENTS) -> None:
    """Temporary ``golden_people``: one row per person with every golden attribute, its lineage
    keys and the roles, computed by DuckDB from the written records table within its memory
    limit (in Polars the sorts and joins were the run's peak at 1 M persons)."""
    parts = GOLDEN_PEOPLE_PARTS if scope == ALL_CLIENTS else 1
    for part in range(parts):
        parameters = {"mobile": RUSSIAN_MOBILE, "parts": parts, "part": part}
        select = GOLDEN_PEOPLE_SQL.format(scope=scope)
        if part == 0:
            sql = f"create or replace temp table golden_people as {select}"
        else:
            sql = f"insert into golden_people {select}"
        con.execute(sql, parameters)


def write_attribute_sources(con, scope: str = ALL_CLIENTS) -> None:
    keys = ", ".join(
        f"{a}{LINEAGE_SUFFIX}" for a in (*IDENTITY_ATTRIBUTES, "mobile_phone", "email")
    )
    _write(con, "marts.dim_client_attribute_sources",
           f"select golden_client_id, {keys} from golden_people", scope)  # fmt: skip


def _write(con, table: str, select: str, scope: str, parameters: dict | None = None) -> None:
    """Replace the table (all clients) or the scoped clients' rows in it."""
    if scope == ALL_CLIENTS:
        con.execute(f"create or replace table {table} as {select}", parameters)
    else:
        con.execute(f"delete from {table} where {scope}")
        con.execute(f"insert into {table} by name {select}", parameters)


def golden_people_columns() -> str:
    """The person columns of dim_clients, renamed from the record columns they were taken from."""
    columns = [c for cols in IDENTITY_ATTRIBUTES.values() for c in cols]
    renamed = [f"{c} as {GOLDEN_RENAMES.get(c, c)}" for c in columns]
    return ", ".join(
        [*renamed, "mobile_phone", "email", "is_sole_proprietor", "has_individual_record",
         "case when is_sole_proprietor then 'ИП' else 'ФЛ' end as client_type",
         "abs_records", "card_holder_records", "dbo_logins", "caller_records"]
    )  # fmt: skip


CONTACT_POINTS_SQL = """
with records as (
    select * from intermediate.int_client_records_unioned where {scope}
),
phones as (
    select golden_client_id, source, seen_date, unnest(phones_current) as value
    from records
),
emails as (
    select golden_client_id, source, seen_date,
           coalesce(email_canonical, lower(trim(emails))) as value,
           email_key is not null as is_valid
    from records
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


def write_contact_points(con, scope: str = ALL_CLIENTS) -> None:
    _write(con, "marts.dim_client_contacts", CONTACT_POINTS_SQL.format(scope=scope), scope,
           {"mobile": RUSSIAN_MOBILE})  # fmt: skip
