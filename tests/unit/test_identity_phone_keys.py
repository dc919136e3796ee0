"""Which phones a record is compared and blocked on: hubs never; a second current phone (most
often the family landline) compared, not blocked on; a phone the record carried before both."""

from __future__ import annotations

import polars as pl
import pytest

from identity.matching import without_hubs
from identity.records import standardize

pytestmark = pytest.mark.unit

MOBILE, LANDLINE, PAST, HUB = "+79161112233", "+74951234567", "+79165556677", "+79990000000"


def _keys(phones: str, carried: str | None, hubs: list[str]) -> dict:
    records = standardize(
        pl.DataFrame(
            {
                "source": ["abs"],
                "source_record_id": ["1"],
                "phones": [phones],
                "phones_carried": [carried],
            }
        )
    )
    return without_hubs(records, pl.Series(hubs, dtype=pl.String)).row(0, named=True)


def test_the_main_phone_and_past_ones_are_blocked_on_the_landline_only_compared():
    keys = _keys(f"{MOBILE}, {LANDLINE}", f"{PAST}, {MOBILE}, {LANDLINE}", hubs=[])
    assert keys["phones_current"] == [MOBILE, LANDLINE]
    assert keys["phones_private"] == [MOBILE, LANDLINE, PAST]
    assert sorted(keys["phone_blocks"]) == sorted([MOBILE, PAST])


def test_a_hub_is_neither_compared_nor_blocked_on_even_as_a_past_phone():
    keys = _keys(MOBILE, f"{HUB}, {MOBILE}", hubs=[HUB])
    assert keys["phones_e164"] == [MOBILE, HUB]
    assert keys["phones_private"] == [MOBILE]
    assert keys["phone_blocks"] == [MOBILE]


def test_a_record_without_phones_has_no_keys():
    keys = _keys("", None, hubs=[])
    assert keys["phones_private"] == []
    assert not keys["phone_blocks"]
