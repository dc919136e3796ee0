"""Bad input, file by file: each defect lands where the contract says, with the right reason."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from ingestion.contracts import contract_for
from ingestion.errors import FileRejected
from ingestion.parse import FileParser
from tests.ingestion_samples import (
    ACCOUNT_ROW,
    ACCOUNTS_HEADER,
    TRANSACTIONS_HEADER,
    transaction,
)

pytestmark = pytest.mark.unit


def write(tmp_path, name: str, lines: list[str], encoding="cp1251", end="\r\n") -> object:
    path = tmp_path / name
    path.write_bytes((end.join(lines) + end).encode(encoding))
    return path


def parse(table: str, path, keys=None):
    parser = FileParser(contract_for(table), path, keys)
    batches = list(parser.batches())
    rows = pl.concat([b.rows for b in batches]) if batches else pl.DataFrame()
    quarantine = pl.concat([b.quarantine for b in batches]) if batches else pl.DataFrame()
    return parser.outcome, rows, quarantine


def test_clean_cp1251_file_loads_typed_with_line_numbers(tmp_path):
    path = write(tmp_path, "a.csv", [ACCOUNTS_HEADER, ACCOUNT_ROW, ACCOUNT_ROW, "ИТОГО;2;0,00"])
    outcome, rows, quarantine = parse("abs__accounts", path)
    assert outcome.encoding == "cp1251"
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (2, 2, 0)
    assert rows["_line_number"].to_list() == [2, 3]
    assert rows["account_number"][0] == "40817810201430006411"
    assert rows["opened_date"].dtype == pl.Date
    assert rows["closed_date"][0] is None
    assert quarantine.height == 0


def test_row_with_an_extra_separator_is_rejected_and_counted_once(tmp_path):
    lines = [
        TRANSACTIONS_HEADER,
        transaction(1, "100,50"),
        transaction(2, "20,00", "Оплата; по счёту"),
        transaction(3, "5,00"),
        "ИТОГО;3;125,50",
    ]
    outcome, _rows, quarantine = parse("abs__transactions", write(tmp_path, "t.csv", lines))
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (3, 2, 1)
    [bad] = quarantine.to_dicts()
    assert bad["reason"] == "too_many_fields" and bad["line_number"] == 3 and bad["is_rejected"]
    assert "Оплата; по счёту" in bad["raw_text"]
    assert outcome.computed_sum == Decimal("125.50")


def test_line_break_inside_a_value_is_one_rejected_record(tmp_path):
    broken = transaction(2, "20,00", "Оплата\r\nпо счёту").split("\r\n")
    lines = [TRANSACTIONS_HEADER, transaction(1, "1,00"), *broken, "ИТОГО;2;21,00"]
    outcome, _rows, quarantine = parse("abs__transactions", write(tmp_path, "t.csv", lines))
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (2, 1, 1)
    [bad] = quarantine.to_dicts()
    assert bad["reason"] == "line_break_in_value" and bad["line_number"] == 3
    assert bad["raw_text"].count("\n") == 1


def test_broken_rows_are_found_across_chunk_boundaries(tmp_path, monkeypatch):
    import ingestion.reader as reader

    monkeypatch.setattr(reader, "CHUNK_BYTES", 700)
    rows_in = []
    for doc in range(1, 41):
        purpose = "Оплата\r\nпо счёту" if doc % 7 == 0 else "Оплата"
        rows_in += transaction(doc, "1,00", purpose).split("\r\n")
    lines = [TRANSACTIONS_HEADER, *rows_in, "ИТОГО;40;40,00"]
    outcome, rows, quarantine = parse("abs__transactions", write(tmp_path, "t.csv", lines))
    assert (outcome.rows_read, outcome.rows_rejected) == (40, 5)
    assert set(quarantine["reason"]) == {"line_break_in_value"}
    assert rows["document_id"].cast(int).to_list() == [d for d in range(1, 41) if d % 7]


def test_value_that_does_not_convert_rejects_the_row_naming_the_field(tmp_path):
    bad_date = ACCOUNT_ROW.replace("20.10.2026", "31.02.2026")
    path = write(tmp_path, "a.csv", [ACCOUNTS_HEADER, bad_date, ACCOUNT_ROW, "ИТОГО;2;0,00"])
    outcome, _rows, quarantine = parse("abs__accounts", path)
    [bad] = quarantine.to_dicts()
    assert (bad["field"], bad["reason"], bad["line_number"]) == ("ДАТА_ОТКР", "invalid_date", 2)
    assert "31.02.2026" in bad["detail"]
    assert (outcome.rows_loaded, outcome.rows_rejected) == (1, 1)


def test_missing_key_rejects_the_row(tmp_path):
    no_key = ";" + ACCOUNT_ROW.split(";", 1)[1]
    path = write(tmp_path, "a.csv", [ACCOUNTS_HEADER, no_key, "ИТОГО;1;0,00"])
    _, rows, quarantine = parse("abs__accounts", path)
    assert rows.height == 0
    assert quarantine.to_dicts()[0]["reason"] == "missing_key"


def test_orphan_reference_is_flagged_and_still_loaded(tmp_path):
    path = write(tmp_path, "a.csv", [ACCOUNTS_HEADER, ACCOUNT_ROW, "ИТОГО;1;0,00"])
    keys = {"abs_client_id": pl.Series(["10000001"])}
    outcome, rows, quarantine = parse("abs__accounts", path, keys)
    assert rows.height == 1 and outcome.rows_flagged == 1
    [flag] = quarantine.to_dicts()
    assert (flag["reason"], flag["field"], flag["is_rejected"]) == (
        "orphan_reference",
        "КОД_КЛИЕНТА",
        False,
    )


def test_file_in_utf8_where_cp1251_is_expected_is_read_and_the_encoding_recorded(tmp_path):
    path = write(tmp_path, "a.csv", [ACCOUNTS_HEADER, ACCOUNT_ROW, "ИТОГО;1;0,00"], "utf-8")
    outcome, rows, _ = parse("abs__accounts", path)
    assert outcome.encoding == "utf-8" and rows["status"][0] == "открыт"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty_file"),
        ("\r\n".join([ACCOUNTS_HEADER, ACCOUNT_ROW]).encode("cp1251"), "truncated"),
        ("\r\n".join([ACCOUNTS_HEADER, ACCOUNT_ROW[:30]]).encode("cp1251"), "truncated"),
        ("\r\n".join([ACCOUNTS_HEADER, ACCOUNT_ROW, "ИТОГО;5;0,00", ""]).encode("cp1251"),
         "trailer_mismatch"),
        ("\r\n".join([ACCOUNTS_HEADER, "ИТОГО;0;0,00", ""]).encode("utf-16"), "unknown_encoding"),
        ("\r\n".join([ACCOUNTS_HEADER, "ИТОГО;0;0,00", ""]).encode("koi8_r"),
         "missing_required_column"),
        ("\r\n".join([ACCOUNTS_HEADER.replace("СТАТУС;", ""), "ИТОГО;0;0,00", ""]).encode(
            "cp1251"), "missing_required_column"),
    ],
    ids=["empty", "no-trailer", "cut-mid-row", "trailer-rows", "utf16", "koi8", "no-column"],
)  # fmt: skip
def test_unreadable_file_is_rejected_whole_naming_file_and_cause(tmp_path, content, reason):
    path = tmp_path / "ACCOUNTS_20261020.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as caught:
        parse("abs__accounts", path)
    assert caught.value.reason == reason
    assert "ACCOUNTS_20261020.csv" in str(caught.value)


def test_trailer_sum_mismatch_rejects_the_file(tmp_path):
    lines = [TRANSACTIONS_HEADER, transaction(1, "100,50"), "ИТОГО;1;100,49"]
    with pytest.raises(FileRejected, match="trailer sum 100,49"):
        parse("abs__transactions", write(tmp_path, "t.csv", lines))


def test_added_column_is_tolerated_and_kept(tmp_path):
    header = '"call_id","start_ts","direction","ani","dnis","queue","enqueue_ts","answer_ts",'
    header += '"end_ts","wait_sec","talk_sec","hold_sec","acw_sec","abandoned","transferred_to",'
    header += '"agent_id","topic","outcome","identified_client_id","ivr_path","new_field"'
    row = (
        '1.1,2026-10-20 08:40:23,inbound,"8 (926) 615-32-92, 8 (926) 615-32-93",88002000100,ДБО,'
        "2026-10-20 08:41:13,2026-10-20 08:41:14,2026-10-20 08:44:32,1,198,0,60,N,,op3002,"
        "sms_code,resolved,10001709,main>agent,x"
    )
    path = write(tmp_path, "calls.csv", ["\ufeff" + header, row], "utf-8")
    outcome, rows, quarantine = parse("contact_center__calls", path)
    assert outcome.encoding == "utf-8-sig" and outcome.extra_columns == ["new_field"]
    assert rows["_extra_fields"][0] == '{"new_field":"x"}'
    assert rows["ivr_path"][0] == "main>agent" and rows["is_abandoned"][0] is False
    assert quarantine["reason"].to_list() == ["invalid_phone"]


def test_quoted_value_may_span_lines_in_quoted_csv(tmp_path):
    header = '"survey_id","survey_type","sent_ts","answered_ts","identified_client_id",'
    header += '"call_id","score","comment"'
    rows_in = [
        'SV1,nps,2026-10-20 10:00:00,2026-10-20 11:00:00,10000001,,9,"Всё хорошо,',
        'спасибо"',
        "SV2,nps,2026-10-20 10:00:00,,10000002,,,",
    ]
    path = write(tmp_path, "surveys.csv", ["\ufeff" + header, *rows_in], "utf-8")
    outcome, rows, _ = parse("contact_center__surveys", path)
    assert outcome.rows_loaded == 2 and rows["_line_number"].to_list() == [2, 4]
    assert rows["comment"][0] == "Всё хорошо,\nспасибо"


def test_old_file_without_a_later_column_loads_with_it_empty(tmp_path):
    header = '"call_id","start_ts","direction","ani","dnis","queue","enqueue_ts","answer_ts",'
    header += '"end_ts","wait_sec","talk_sec","hold_sec","acw_sec","abandoned","transferred_to",'
    header += '"agent_id","topic","outcome","identified_client_id"'
    path = write(tmp_path, "calls.csv", ["\ufeff" + header], "utf-8")
    outcome, _rows, _ = parse("contact_center__calls", path)
    assert outcome.missing_optional_columns == ["ivr_path"] and outcome.rows_read == 0


def test_json_lines_bad_line_is_rejected_and_empty_file_is_a_valid_day(tmp_path):
    good = (
        '{"login_id":"L1","display_name":"Юра","phone":"+79190159687","email":"",'
        '"registered_at":"2011-07-07T20:50:08.124Z","updated_at":"2011-07-07T20:50:08.124Z"}'
    )
    path = write(tmp_path, "p.jsonl", [good, '{"login_id":"L2",', good], "utf-8", end="\n")
    outcome, rows, quarantine = parse("dbo__profiles", path)
    assert (outcome.rows_read, outcome.rows_loaded) == (3, 2)
    assert quarantine.filter(pl.col("is_rejected"))["reason"].to_list() == ["invalid_json"]
    assert rows["email"].to_list() == [None, None]
    assert rows["registered_at"].dtype == pl.Datetime("us")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert parse("dbo__profiles", empty)[0].rows_read == 0


def balance_line(closing: str) -> str:
    amounts = ("1,00", "0,00", "0,00", closing)
    return "20.10.2026" + "40817810401180000004" + "".join(v.rjust(18) for v in amounts)


def balances_trailer(rows: int, total: str) -> str:
    return "ИТОГО" + str(rows).rjust(20) + total.rjust(77)


def test_fixed_width_line_of_wrong_length_is_rejected(tmp_path):
    good, short = balance_line("1,00"), balance_line("1,00")[:-3]
    path = write(tmp_path, "b.txt", [good, short, balances_trailer(2, "2,00")])
    outcome, rows, quarantine = parse("abs__balances", path)
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (2, 1, 1)
    assert quarantine["reason"].to_list() == ["wrong_line_length"]
    assert outcome.computed_sum is None, "a broken fixed-width amount cannot be recovered"
    assert rows["closing_balance"].to_list() == [Decimal("1.00")]


def test_fixed_width_trailer_sum_is_verified(tmp_path):
    path = write(tmp_path, "b.txt", [balance_line("1,00"), balance_line("2,50"),
                                     balances_trailer(2, "3,50")])  # fmt: skip
    assert parse("abs__balances", path)[0].computed_sum == Decimal("3.50")
    path = write(tmp_path, "c.txt", [balance_line("1,00"), balances_trailer(1, "1,01")])
    with pytest.raises(FileRejected, match="trailer sum"):
        parse("abs__balances", path)
