"""Survivorship: АБС is master for identity, the freshest valid contact wins, lineage is kept."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from cdp.warehouse import as_arrow
from identity.records import standardize
from identity.survivorship import (
    golden_people_columns,
    write_attribute_sources,
    write_contact_points,
    write_golden_people,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def warehouse(client_records):
    """The records as the run writes them, in an in-memory DuckDB."""
    with duckdb.connect() as con:
        con.execute("create schema intermediate; create schema marts")
        con.register("records", as_arrow(client_records))
        con.execute("create table intermediate.int_client_records_unioned as from records")
        yield con


@pytest.fixture
def client_records() -> pl.DataFrame:
    records = pl.DataFrame(
        {
            "source": ["abs", "abs", "cards", "dbo"],
            "source_record_id": ["100", "101", "H1", "L1"],
            "role": ["individual", "sole_proprietor", "card_holder", "dbo_login"],
            "surname": ["Петрова", "Иванова", "IVANOVA", "Иванова"],
            "first_name": ["Мария", "М.", "MARIIA", "Маша"],
            "birth_date": [dt.date(1990, 1, 2), dt.date(1900, 1, 1), dt.date(1990, 1, 2), None],
            "inn": ["500100732259", "500100732250", None, None],
            "phones": ["8 (916) 111-22-33", "+79162223344", "+79163334455", "89164445566"],
            # every version's phones: the login had another number before
            "phones_carried": [None, None, None, "+79165556677, 89164445566"],
            "emails": [None, "bad.mail.ru", "m.ivanova@mail.ru", "m.ivanova@mail.ru"],
            "seen_date": [
                dt.date(2015, 1, 1),
                dt.date(2024, 1, 1),
                dt.date(2023, 1, 1),
                dt.date(2026, 10, 1),
            ],
        }
    )
    return standardize(records).with_columns(pl.lit("GC0000000001").alias("golden_client_id"))


def _golden(con) -> tuple[dict, dict]:
    write_golden_people(con)
    write_attribute_sources(con)
    golden = con.sql(f"select {golden_people_columns()} from golden_people").pl()
    sources = con.sql("select * from marts.dim_client_attribute_sources").pl()
    return golden.row(0, named=True), sources.row(0, named=True)


def test_abs_is_master_for_identity_and_initials_lose(warehouse):
    row, sources = _golden(warehouse)
    # The fresher АБС record has only an initial and a placeholder birth date.
    assert row["first_name"] == "МАРИЯ"
    assert row["birth_date"] == dt.date(1990, 1, 2)
    assert row["inn"] == "500100732259"  # the other INN fails its check digits
    assert row["surname"] == "ПЕТРОВА"
    assert row["client_type"] == "ИП"
    assert (row["abs_records"], row["card_holder_records"], row["dbo_logins"]) == (2, 1, 1)
    assert sources["first_name_record_key"] == "abs:100"
    assert sources["inn_record_key"] == "abs:100"
    assert sources["birth_date_record_key"] == "abs:100"


def test_freshest_valid_contact_wins_from_any_source(warehouse):
    row, sources = _golden(warehouse)
    assert row["mobile_phone"] == "+79164445566"
    assert row["email"] == "m.ivanova@mail.ru"
    assert sources["mobile_phone_record_key"] == "dbo:L1"


def test_every_phone_and_email_is_kept_with_first_and_last_seen(warehouse):
    write_contact_points(warehouse)
    contacts = warehouse.sql("select * from marts.dim_client_contacts").pl()
    phones = contacts.filter(pl.col("contact_type") == "phone")
    assert phones.height == 4
    email = contacts.filter(pl.col("value") == "m.ivanova@mail.ru").row(0, named=True)
    assert (email["first_seen_date"], email["last_seen_date"]) == (
        dt.date(2023, 1, 1),
        dt.date(2026, 10, 1),
    )
    assert email["sources"] == "cards,dbo"
    assert contacts.filter(pl.col("value") == "bad.mail.ru")["is_valid"].to_list() == [False]


def test_a_number_the_client_gave_up_is_matched_on_but_never_a_contact(warehouse, client_records):
    login = client_records.filter(pl.col("source") == "dbo").row(0, named=True)
    assert login["phones_e164"] == ["+79164445566", "+79165556677"]
    assert login["phones_current"] == ["+79164445566"]
    row, _ = _golden(warehouse)
    assert row["mobile_phone"] == "+79164445566"
    write_contact_points(warehouse)
    phones = warehouse.sql("select value from marts.dim_client_contacts").pl()["value"]
    assert "+79165556677" not in phones.to_list()
