"""Person records of every source system in one standard shape, with their matching keys.

Sources: АБС clients (ФЛ and ИП), card holders (Latin embossed-style name), ДБО profiles (login,
display name, phone, e-mail) and identified contact-centre callers (one record per client and
phone they called from). Each record keeps the system mapping it carries (``anchor_id``: the
АБС client id a holder, login or call points to) and its lineage to the raw row.
"""

from __future__ import annotations

import duckdb
import polars as pl

from identity import normalize as nz

STANDARD_COLUMNS = (
    "source",
    "source_record_id",
    "client_type",
    "surname",
    "first_name",
    "patronymic",
    "birth_date",
    "sex",
    "document_type",
    "document_series",
    "document_number",
    "inn",
    "snils",
    "phones",
    "emails",
    "address",
)
"""The standard person shape: what every source is mapped to and what ``cdp resolve`` reads."""

KEPT_COLUMNS = (
    "record_key",
    "source",
    "source_record_id",
    "role",
    "client_type",
    "anchor_id",
    "lineage_record_id",
    "_business_date",
    "seen_date",
    "surname_clean",
    "first_name_clean",
    "patronymic_clean",
    "surname_fold",
    "surname_stem",
    "first_name_fold",
    "first_name_is_initial",
    "patronymic_fold",
    "birth_date_key",
    "sex",
    "document_type",
    "document_series",
    "document_number",
    "passport",
    "inn_valid",
    "snils_valid",
    "ogrnip",
    "address",
    "address_key",
    "phones_e164",
    "phones_current",
    "emails",
    "email_canonical",
    "email_key",
)
"""What a standardised record keeps: its keys, lineage, the cleaned values survivorship picks
from and the matching keys. Raw spellings stay in raw (a million records × 40 columns is
gigabytes). ``phones_e164`` is every phone any version of the record carried — a matching key;
``phones_current`` the ones its latest version carries — the only ones survivorship and the
contact points read, so a number the client gave up never becomes the one the bank calls."""

PERSON_TABLES = (
    "abs__clients",
    "cards__holders",
    "dbo__profiles",
    "dbo__client_mappings",
    "contact_center__calls",
)
"""The raw tables person records are read from."""

LINEAGE_COLUMNS = ("role", "anchor_id", "seen_date", "lineage_record_id", "_business_date")

_CARRIED = "array_to_string(list({phones}) over (partition by {key}), ', ') as phones_carried"
"""The phones of every version of a source record: a number a client changed in one system is
still what the others hold, so it stays a matching key (never a contact: see ``standardize``)."""

_LATEST = "qualify row_number() over (partition by {key} order by _business_date desc, " \
    "_line_number desc) = 1"  # fmt: skip

ABS_CLIENTS = f"""
select 'abs' as source, abs_client_id as source_record_id, client_type,
       case client_type when 'ИП' then 'sole_proprietor' else 'individual' end as role,
       abs_client_id as anchor_id, surname, first_name, patronymic, birth_date, sex,
       document_type_code as document_type, document_series, document_number, inn, snils,
       concat_ws(', ', mobile_phone, other_phone) as phones,
       {_CARRIED.format(phones="concat_ws(', ', mobile_phone, other_phone)", key="abs_client_id")},
       email as emails, registration_address as address, ogrn as ogrnip,
       coalesce(profile_updated_date, registration_date) as seen_date,
       abs_client_id as lineage_record_id, _business_date
from raw.abs__clients
where client_type in ('ФЛ', 'ИП') and {{scope}}
{_LATEST.format(key="abs_client_id")}
"""

CARD_HOLDERS = f"""
select 'cards' as source, holder_id as source_record_id, 'ФЛ' as client_type,
       'card_holder' as role, abs_client_id as anchor_id, last_name_latin as surname,
       first_name_latin as first_name, birth_date, mobile_phone as phones,
       {_CARRIED.format(phones="mobile_phone", key="holder_id")}, email as emails,
       cast(created_at as date) as seen_date, holder_id as lineage_record_id, _business_date
from raw.cards__holders
where {{scope}}
{_LATEST.format(key="holder_id")}
"""

DBO_PROFILES = f"""
with mapping as (
    select login_id, abs_client_id from raw.dbo__client_mappings
    {_LATEST.format(key="login_id")}
)
select 'dbo' as source, p.login_id as source_record_id, 'ФЛ' as client_type,
       'dbo_login' as role, m.abs_client_id as anchor_id,
       nullif(regexp_extract(p.display_name, '^\\S+\\s+(.+)$', 1), '') as surname,
       regexp_extract(p.display_name, '^(\\S+)', 1) as first_name,
       p.mobile_phone as phones, {_CARRIED.format(phones="p.mobile_phone", key="p.login_id")},
       p.email as emails,
       cast(coalesce(p.updated_at, p.registered_at) as date) as seen_date,
       p.login_id as lineage_record_id, p._business_date
from raw.dbo__profiles as p
left join mapping as m using (login_id)
where {{scope}}
{_LATEST.format(key="p.login_id")}
"""

IDENTIFIED_CALLS = """
select abs_client_id, caller_phone, min(call_id) as first_call_id,
       cast(max(started_at) as date) as seen_date, max(_business_date) as _business_date
from raw.contact_center__calls
where abs_client_id is not null and {scope}
group by all
"""

_PENDING = "_load_id in (select load_id from pending_loads)"
CHANGED_SCOPES = {
    ABS_CLIENTS: f"abs_client_id in (select abs_client_id from raw.abs__clients where {_PENDING})",
    CARD_HOLDERS: f"holder_id in (select holder_id from raw.cards__holders where {_PENDING})",
    DBO_PROFILES: f"""p.login_id in (
        select login_id from raw.dbo__profiles where {_PENDING}
        union select login_id from raw.dbo__client_mappings where {_PENDING})""",
    IDENTIFIED_CALLS: f"""abs_client_id in (
        select abs_client_id from raw.contact_center__calls where {_PENDING})""",
}
"""Per source query, the entities a load in the temporary table ``pending_loads`` delivered: all
their versions are read again, so the latest one wins even when a late file brings an older
version."""


def from_warehouse(con: duckdb.DuckDBPyConnection, changed_only: bool = False) -> pl.DataFrame:
    """Every person record of the four systems, latest version per source record, keyed; one
    system at a time, so only one wide raw frame is in memory at once. ``changed_only``: just
    the records of the entities the loads in ``pending_loads`` delivered."""

    def read(sql: str) -> pl.DataFrame:
        return con.sql(sql.format(scope=CHANGED_SCOPES[sql] if changed_only else "true")).pl()

    frames = [standardize(read(sql)) for sql in (ABS_CLIENTS, CARD_HOLDERS, DBO_PROFILES)]
    frames.append(standardize(_callers(read(IDENTIFIED_CALLS))))
    return pl.concat(frames, how="vertical_relaxed")


def _callers(calls: pl.DataFrame) -> pl.DataFrame:
    """One record per identified client and the number they called from: the call carries no
    name, only the phone, which becomes one more phone of that client."""
    phone = nz.phones_e164(pl.col("caller_phone")).list.first()
    return (
        calls.with_columns(phone.alias("phone"))
        .group_by("abs_client_id", "phone")
        .agg(
            pl.col("first_call_id").min().alias("lineage_record_id"),
            pl.col("seen_date").max(),
            pl.col("_business_date").max(),
        )
        .select(
            pl.lit("contact_center").alias("source"),
            (pl.col("abs_client_id") + ":" + pl.col("phone").fill_null("unknown")).alias(
                "source_record_id"
            ),
            pl.lit("ФЛ").alias("client_type"),
            pl.lit("identified_caller").alias("role"),
            pl.col("abs_client_id").alias("anchor_id"),
            pl.col("phone").alias("phones"),
            "seen_date",
            "lineage_record_id",
            "_business_date",
        )
    )


def standardize(records: pl.DataFrame) -> pl.DataFrame:
    """Add the matching keys to records in the standard shape (missing columns become null)."""
    for column in (*STANDARD_COLUMNS, *LINEAGE_COLUMNS, "ogrnip", "phones_carried"):
        if column not in records.columns:
            records = records.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    records = records.with_columns(
        pl.col("birth_date").cast(pl.Date, strict=False),
        pl.col("seen_date").cast(pl.Date, strict=False),
        *(
            pl.col(c).cast(pl.String)
            for c in ("phones", "phones_carried", "emails", "inn", "snils")
        ),
    )
    names = records.with_columns(
        (pl.col("source") + ":" + pl.col("source_record_id")).alias("record_key")
    )
    for column in _NAMES:
        names = names.join(
            name_keys(names[column]), left_on=column, right_on="_value", how="left",
            maintain_order="left",
        )  # fmt: skip
    # Lazy, so shared sub-expressions of the e-mail and address keys are computed once
    # (measured at 1 M persons: 16.8 s eager, 8.8 s lazy for the two).
    keys = (
        names.lazy()
        .with_columns(
            nz.surname_stem(pl.col("surname_fold")).alias("surname_stem"),
            pl.col("first_name_is_initial").fill_null(False),
            nz.birth_date(pl.col("birth_date")).alias("birth_date_key"),
            nz.phones_e164(pl.col("phones")).alias("phones_current"),
            nz.phones_e164(
                pl.concat_str("phones", "phones_carried", separator=", ", ignore_nulls=True)
            ).alias("phones_e164"),
            nz.email_canonical(pl.col("emails")).alias("email_canonical"),
            nz.address_key(pl.col("address")).alias("address_key"),
            (
                nz.digits_only(pl.col("document_series"))
                + nz.digits_only(pl.col("document_number"))
            ).alias("passport"),
        )
        .collect()
    )
    return keys.with_columns(
        pl.Series("inn_valid", nz.valid_inn(keys["inn"])),
        pl.Series("snils_valid", nz.valid_snils(_digits(keys["snils"]))),
        pl.Series("email_key", nz.valid_email(keys["email_canonical"])),
    ).select(KEPT_COLUMNS)


_NAMES = ("surname", "first_name", "patronymic")


def name_keys(values: pl.Series) -> pl.DataFrame:
    """Clean and folded forms of each distinct name (names repeat: a million records carry a
    few hundred thousand surnames and a few thousand first names)."""
    column = values.name
    unique = values.drop_nulls().unique().to_frame("_value")
    keys = unique.with_columns(nz.clean_name(pl.col("_value")).alias(f"{column}_clean"))
    keys = keys.with_columns(
        nz.fold(nz.latin(pl.col(f"{column}_clean"))).alias(f"{column}_fold"),
    )
    if column == "first_name":
        keys = keys.with_columns(
            nz.is_initial(pl.col("first_name_clean")).alias("first_name_is_initial")
        )
    return keys


def _digits(values: pl.Series) -> pl.Series:
    return values.to_frame().select(nz.digits_only(pl.col(values.name))).to_series()
