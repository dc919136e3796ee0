"""Every defect the simulator injected into a raw-layer field is caught with the right reason.

Defects that are not a raw-layer matter are listed with where they are handled instead: name
variants (the golden record matches through them), logins whose mapping never arrives (no row
exists to flag: the golden record sees an unmapped login), marketing sent without consent (the
contact policy).
"""

from __future__ import annotations

import polars as pl
import pytest

pytestmark = pytest.mark.evaluation

EXPECTED = {
    # (system, entity, field): (raw table, id column in raw, id position in a rejected line,
    #                           reasons that count as caught)
    ("abs", "clients", "phone"): (
        "abs__clients", "abs_client_id", 0, {"invalid_phone", "too_many_fields"}),
    ("abs", "clients", "email"): ("abs__clients", "abs_client_id", 0, {"invalid_email"}),
    ("abs", "clients", "inn"): ("abs__clients", "abs_client_id", 0, {"invalid_inn"}),
    ("abs", "clients", "snils"): ("abs__clients", "abs_client_id", 0, {"invalid_snils"}),
    ("abs", "clients", "birth_date"): (
        "abs__clients", "abs_client_id", 0, {"missing_mandatory", "placeholder_value"}),
    ("abs", "clients", "document_number"): (
        "abs__clients", "abs_client_id", 0, {"missing_mandatory"}),
    ("abs", "accounts", "КОД_КЛИЕНТА"): ("abs__accounts", "contract_id", 9, {"orphan_reference"}),
    ("abs", "contracts", "КОД_КЛИЕНТА"): (
        "abs__contracts", "contract_id", 0, {"orphan_reference"}),
    ("abs", "transactions", "НАЗНАЧЕНИЕ_ПЛАТЕЖА"): (
        "abs__transactions", "document_id", 0, {"too_many_fields", "line_break_in_value"}),
    ("cards", "cards", "HOLDER_ID"): ("cards__cards", "card_id", 0, {"orphan_reference"}),
    ("cards", "holders", "CBS_CLIENT_ID"): (
        "cards__holders", "holder_id", 0, {"missing_mandatory"}),
    ("contact_center", "calls", "ani"): (
        "contact_center__calls", "call_id", 0, {"invalid_phone"}),
    ("dbo", "profiles", "phone"): ("dbo__profiles", "login_id", None, {"invalid_phone"}),
}  # fmt: skip
NOT_RAW_DEFECTS = {
    "name variants": ("surname", "first_name", "patronymic"),
    "mapping never delivered": ("cbs_client_id",),
    "contact policy": ("consent",),
}
SEPARATORS = {"abs": ";", "cards": "|", "contact_center": ","}


def _findings(con, table: str, id_column: str, position: int | None, system: str):
    """Record id → reasons found for it (flagged rows joined to raw, rejected rows by their
    text); every delivered record is listed, with no reason when nothing was found."""
    flagged = con.execute(
        f'select cast(r."{id_column}" as varchar) as record_id, q.reason '
        f"from raw.{table} r left join quarantine.{table} q "
        "on r._load_id = q._load_id and r._line_number = q.line_number and not q.is_rejected"
    ).pl()
    rejected = con.execute(
        f"select raw_text, reason from quarantine.{table} where is_rejected"
    ).pl()
    if position is not None and rejected.height:
        rejected = rejected.select(
            pl.col("raw_text")
            .str.split(SEPARATORS[system])
            .list.get(position, null_on_oob=True)
            .alias("record_id"),
            "reason",
        )
    else:
        rejected = pl.DataFrame(schema={"record_id": pl.String, "reason": pl.String})
    return pl.concat([flagged, rejected]).group_by("record_id").agg(pl.col("reason"))


def test_each_injected_raw_defect_is_in_quarantine_with_its_reason(raw_bank, warehouse):
    settings, _ = raw_bank
    defects = pl.read_parquet(settings.truth_dir / "defects.parquet")
    report = {}
    for (system, entity, field_name), (table, id_column, position, reasons) in EXPECTED.items():
        injected = defects.filter(
            (pl.col("system") == system)
            & (pl.col("entity") == entity)
            & (pl.col("field") == field_name)
        )
        assert injected.height, (system, entity, field_name)
        found = _findings(warehouse, table, id_column, position, system)
        joined = injected.join(found, on="record_id", how="inner")
        assert joined.height >= 0.9 * injected.height, "most defect records are delivered"
        caught = joined.select(
            pl.col("reason")
            .list.eval(pl.element().is_in(list(reasons)))
            .list.any()
            .fill_null(False)
        ).to_series()
        report[(system, entity, field_name)] = (int(caught.sum()), joined.height)
    misses = {key: counts for key, counts in report.items() if counts[0] < counts[1]}
    assert not misses, misses


def test_two_phone_numbers_joined_by_a_semicolon_break_the_core_banking_row(raw_bank, warehouse):
    """АБС has no quoting: two numbers joined with "; " split the row into an extra field."""
    settings, _ = raw_bank
    defects = pl.read_parquet(settings.truth_dir / "defects.parquet").filter(
        (pl.col("system") == "abs")
        & (pl.col("defect_type") == "two_numbers")
        & pl.col("injected_value").str.contains(";", literal=True)
    )
    rejected = warehouse.execute(
        "select split_part(raw_text, ';', 1) as record_id, reason "
        "from quarantine.abs__clients where is_rejected"
    ).pl()
    joined = defects.join(rejected, on="record_id", how="inner")
    assert joined.height == defects.height > 0
    assert set(joined["reason"]) == {"too_many_fields"}


def test_defects_outside_the_raw_layer_are_named(raw_bank):
    settings, _ = raw_bank
    defects = pl.read_parquet(settings.truth_dir / "defects.parquet")
    covered = {key[2] for key in EXPECTED} | {f for fs in NOT_RAW_DEFECTS.values() for f in fs}
    assert set(defects["field"]) <= covered
