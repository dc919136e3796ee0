"""Normalisation keys: names across scripts and schemes, phones, e-mails, identifiers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from identity import normalize as nz

pytestmark = pytest.mark.unit


def _apply(expr, values, dtype=pl.String) -> list:
    return pl.DataFrame({"v": values}, schema={"v": dtype}).select(expr(pl.col("v")))["v"].to_list()


def _fold(values: list[str]) -> list[str]:
    return _apply(lambda c: nz.fold(nz.latin(nz.clean_name(c))), values)


def test_transliteration_schemes_fold_to_one_key():
    assert len(set(_fold(["Yuriy", "Yurii", "Iurii", "Jurij", "Юрий"]))) == 1
    assert len(set(_fold(["Ivanov", "Iwanow", "Иванов", "IVANOV"]))) == 1
    assert len(set(_fold(["Natal'ya", "NATALIA", "Наталья"]))) == 1
    assert len(set(_fold(["TSOI", "TCOI", "Цой"]))) == 1
    assert len(set(_fold(["Ivanov", "Petrov"]))) == 2


def test_clean_name_repairs_latin_lookalikes_yo_dots_and_spaces():
    # "Ивaнов" with a Latin a, "Фёдоров" with Ё, an initial with its dot, spaces around.
    assert _apply(nz.clean_name, ["Ивaнов", "  Фёдоров ", "И.", "", None]) == [
        "ИВАНОВ",
        "ФЕДОРОВ",
        "И",
        None,
        None,
    ]
    assert _apply(nz.clean_name, ["Smith"]) == ["SMITH"]


def test_gendered_surname_endings_share_a_stem():
    folded = _fold(["Иванов", "Иванова", "Петровский", "Петровская", "Сидорова"])
    stems = _apply(nz.surname_stem, folded)
    assert stems[0] == stems[1]
    assert stems[2] == stems[3]
    assert stems[4] != stems[0]


def test_phones_become_e164_lists_and_placeholders_disappear():
    values = [
        "8 (916) 123-45-67",
        "тел. 89161234567 (доб. 63)",
        "8-916-123-45-67, 8 (924) 517-40-46",
        "+7 (000) 000-00-00",
        "89999999999",
        "8916123456",
        "9161234567",
        None,
    ]
    assert _apply(nz.phones_e164, values) == [
        ["+79161234567"],
        ["+79161234567"],
        ["+79161234567", "+79245174046"],
        [],
        [],
        [],
        ["+79161234567"],
        None,
    ]


def test_emails_are_canonical():
    values = ["Ivan.Petrov@Mail.ru.", "smirnоv@yandex.ru", "i.van+bank@gmail.com", "no-at.mail.ru"]
    # the second address has a Cyrillic "о" typed into the local part
    assert _apply(nz.email_canonical, values) == [
        "ivan.petrov@mail.ru",
        "smirnov@yandex.ru",
        "ivan@gmail.com",
        None,
    ]


def test_placeholder_birth_dates_are_no_birth_date():
    dates = [dt.date(1900, 1, 1), dt.date(1980, 5, 17), None]
    assert _apply(nz.birth_date, dates, pl.Date) == [None, dt.date(1980, 5, 17), None]


def test_invalid_identifiers_never_become_keys():
    inns = pl.Series(["1234567894", "1234567895", "123456789047", None])
    assert nz.valid_inn(inns).to_list() == ["1234567894", None, "123456789047", None]
    assert nz.valid_snils(pl.Series(["11223344595", "11223344594"])).to_list() == [
        "11223344595",
        None,
    ]
