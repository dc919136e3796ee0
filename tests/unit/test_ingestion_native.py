"""The native path (a byte scan for the broken lines, then Polars over UTF-8 pieces) gives what the
line-by-line path gives: same rows, same line numbers, same rejects and flags; where it cannot
vouch for a file it steps aside before loading a row."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from ingestion import native
from ingestion.contracts import contract_for
from ingestion.errors import FileRejected
from ingestion.parse import FileParser
from tests.ingestion_samples import ACCOUNT_ROW, ACCOUNTS_HEADER, TRANSACTIONS_HEADER, transaction

pytestmark = pytest.mark.unit


@pytest.fixture
def paths(monkeypatch):
    """Every file goes native (tiny test files are below the size threshold), and which path
    each file took is recorded."""
    monkeypatch.setattr(native, "MIN_BYTES", 0)
    taken: list[str] = []
    read = native.NativeRead.read

    def spy(self, names):
        try:
            read(self, names)
        except native.NativeUnavailable:
            taken.append("lines")
            raise
        taken.append("native")

    monkeypatch.setattr(native.NativeRead, "read", spy)
    return taken


def write(tmp_path, lines: list[str], encoding="cp1251", end="\r\n", name="t.csv"):
    path = tmp_path / name
    path.write_bytes((end.join(lines) + end).encode(encoding))
    return path


def parse(path, table="abs__transactions", keys=None):
    parser = FileParser(contract_for(table), path, keys)
    batches = list(parser.batches())
    rows = pl.concat([b.rows for b in batches]).sort("_line_number")
    quarantine = pl.concat([b.quarantine for b in batches]).sort(
        "line_number", "reason", "field", nulls_last=True
    )
    return parser.outcome, rows, quarantine


def parse_both(path, monkeypatch, table="abs__transactions", keys=None):
    """(native result, line-by-line result) of one file."""
    ours = parse(path, table, keys)
    with monkeypatch.context() as patch:
        patch.setattr(native, "applies", lambda contract, size: False)
        theirs = parse(path, table, keys)
    return ours, theirs


def assert_same(ours, theirs) -> None:
    assert ours[0] == theirs[0]
    assert ours[1].equals(theirs[1])
    assert ours[2].equals(theirs[2])


def broken_file(tmp_path, documents=40, end="\r\n", encoding="cp1251"):
    """Every 7th row broken by a line break, every 11th by a separator inside a value."""
    lines = [TRANSACTIONS_HEADER]
    for doc in range(1, documents + 1):
        purpose = "Оплата" if doc % 7 else "Оплата" + end + "по счёту"
        purpose = purpose if doc % 11 else "Оплата; по счёту"
        lines += transaction(doc, "1,00", purpose).split(end)
    total = f"{documents},00"
    return write(tmp_path, [*lines, f"ИТОГО;{documents};{total}"], encoding, end)


def test_broken_rows_are_rejected_as_on_the_line_path(tmp_path, monkeypatch, paths):
    ours, theirs = parse_both(broken_file(tmp_path), monkeypatch)
    assert paths == ["native"]
    assert_same(ours, theirs)
    outcome, _rows, quarantine = ours
    assert (outcome.rows_read, outcome.rows_rejected) == (40, 5 + 3)
    assert outcome.computed_sum == Decimal("40.00"), "rejected rows' amounts count in the sum"
    breaks = quarantine.filter(pl.col("reason") == "line_break_in_value")
    assert breaks.height == 5 and (breaks["raw_text"].str.count_matches("\n") == 1).all()
    assert set(quarantine["reason"]) == {"line_break_in_value", "too_many_fields"}


def test_good_rows_keep_their_physical_line_after_rejects(tmp_path, monkeypatch, paths):
    """Many scan blocks, pieces and batches, rejects in between and across their edges: the
    document number written on each line is the line the row is loaded with."""
    monkeypatch.setattr(native, "BATCH_ROWS", 997)
    monkeypatch.setattr(native, "BLOCK_BYTES", 4_099)
    monkeypatch.setattr(native, "PIECE_BYTES", 65_537)
    lines = [TRANSACTIONS_HEADER]
    for record in range(1, 20_001):
        document = len(lines) + 1
        if record % 1_009 == 0:
            lines += transaction(document, "1,00", "Оплата\r\nпо счёту").split("\r\n")
        else:
            purpose = "Оплата; по счёту" if record % 613 == 0 else "Оплата"
            lines.append(transaction(document, "1,00", purpose))
    records = 20_000
    lines.append(f"ИТОГО;{records};{records},00")
    outcome, rows, quarantine = parse(write(tmp_path, lines))
    assert paths == ["native"]
    assert outcome.rows_read == records and rows.height > 19_000
    assert (rows["document_id"].cast(pl.Int64) == rows["_line_number"]).all()
    assert quarantine.filter(pl.col("reason") == "line_break_in_value").height == 19


def test_a_bare_line_feed_in_a_crlf_file_keeps_every_line_number(tmp_path, monkeypatch, paths):
    """The simulator's line break inside a value is a bare ``\\n`` in a CRLF file. DuckDB's
    rejects scan numbered the lines after such a break one to three lines late (or stopped);
    the native path must still take the file and agree with the line-by-line path."""
    monkeypatch.setattr(native, "PIECE_BYTES", 100_003)
    lines, physical = [TRANSACTIONS_HEADER], 2
    for record in range(1, 30_001):
        purpose = "Оплата\nпо счёту" if record % 997 == 0 else "Оплата"
        lines.append(transaction(physical, "1,00", purpose))
        physical += 1 + purpose.count("\n")
    lines.append("ИТОГО;30000;30000,00")
    ours, theirs = parse_both(write(tmp_path, lines), monkeypatch)
    assert paths == ["native"]
    assert_same(ours, theirs)
    outcome, rows, quarantine = ours
    assert outcome.rows_read == 30_000
    assert quarantine.filter(pl.col("reason") == "line_break_in_value").height == 30
    assert (rows["document_id"].cast(pl.Int64) == rows["_line_number"]).all()


def test_typed_rejects_and_flags_match_the_line_path(tmp_path, monkeypatch, paths):
    bad_date = ACCOUNT_ROW.replace("20.10.2026", "31.02.2026")
    no_key = ";" + ACCOUNT_ROW.split(";", 1)[1]
    lines = [ACCOUNTS_HEADER, ACCOUNT_ROW, bad_date, no_key, ACCOUNT_ROW + ";x", ACCOUNT_ROW]
    path = write(tmp_path, [*lines, "ИТОГО;5;0,00"])
    keys = {"abs_client_id": pl.Series(["10000001"])}
    ours, theirs = parse_both(path, monkeypatch, "abs__accounts", keys)
    assert paths == ["native"]
    assert_same(ours, theirs)
    reasons = ours[2].select("line_number", "reason", "is_rejected").rows()
    assert reasons == [
        (2, "orphan_reference", False),
        (3, "invalid_date", True),
        (4, "missing_key", True),
        (5, "too_many_fields", True),
        (6, "orphan_reference", False),
    ]
    assert ours[1]["_line_number"].to_list() == [2, 6]


def test_utf8_pipe_file_and_cp1251(tmp_path, monkeypatch, paths):
    """A UTF-8 file is scanned as it is; cp1251 is transcoded first."""
    utf8 = broken_file(tmp_path, end="\n", encoding="utf-8")
    ours, theirs = parse_both(utf8, monkeypatch)
    assert_same(ours, theirs)
    assert ours[0].encoding == "utf-8"
    cp1251 = broken_file(tmp_path)
    outcome, rows, _ = parse(cp1251)
    assert paths == ["native", "native"]
    assert outcome.encoding == "cp1251" and rows["purpose"][0] == "Оплата"


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (["ИТОГО;3;3,00"], "trailer_mismatch"),
        (["ИТОГО;2;2,01"], "trailer_mismatch"),
        ([], "truncated"),
        (["ИТОГО;2;2,00", ""], "truncated"),
    ],
    ids=["count", "sum", "no-trailer", "line-after-trailer"],
)
def test_file_rejections_are_the_line_paths(tmp_path, monkeypatch, paths, tail, reason):
    lines = [TRANSACTIONS_HEADER, transaction(1, "1,00"), transaction(2, "1,00"), *tail]
    with pytest.raises(FileRejected) as caught:
        parse(write(tmp_path, lines))
    assert caught.value.reason == reason


def test_what_the_native_path_cannot_vouch_for_goes_line_by_line(tmp_path, monkeypatch, paths):
    """An empty line (it may join the next record), a byte cp1251 does not have."""
    lines = [TRANSACTIONS_HEADER, transaction(1, "1,00"), "", transaction(2, "1,00")]
    path = write(tmp_path, [*lines, "ИТОГО;2;2,00"])
    ours, theirs = parse_both(path, monkeypatch)
    assert_same(ours, theirs)
    assert ours[2]["reason"].to_list() == ["line_break_in_value"]
    assert paths == ["lines"]
    rows = [transaction(doc, "1,00") for doc in range(1, 12_001)]
    path = write(tmp_path, [TRANSACTIONS_HEADER, *rows, "ИТОГО;12000;12000,00"])
    data = path.read_bytes()
    cut = data.index("Оплата".encode("cp1251"), 2**20)
    path.write_bytes(data[:cut] + b"\x98" + data[cut + 1 :])
    assert cut > 2**20, "past the bytes that encoding detection reads"
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.reason == "unknown_encoding"
    assert paths == ["lines", "lines"]


def test_invalid_utf8_past_the_detected_start_goes_line_by_line(tmp_path, paths):
    rows = [transaction(doc, "1,00") for doc in range(1, 12_001)]
    path = write(tmp_path, [TRANSACTIONS_HEADER, *rows, "ИТОГО;12000;12000,00"], "utf-8", "\n")
    data = path.read_bytes()
    cut = data.index("Оплата".encode(), 2**20)
    path.write_bytes(data[:cut] + b"\xff" + data[cut + 1 :])
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.reason == "unknown_encoding"
    assert paths == ["lines"]


def _misfits_by_python(data: bytes, separator: bytes, expected: int):
    """The byte scan's answer computed the plain way: lines split at ``\\n``, ``\\r`` before
    it dropped."""
    lines = data.split(b"\n")
    ends_open = lines[-1] != b""
    lines = lines if ends_open else lines[:-1]
    found, offset = [], 0
    for number, line in enumerate(lines, start=1):
        text = line[:-1] if line.endswith(b"\r") else line
        if number > 1 and (text.count(separator) != expected or text == b""):
            found.append((number, offset, offset + len(text)))
        offset += len(line) + 1
    return len(lines), found


@pytest.mark.parametrize("last", ["\r\n", "x;y", "\n\n", "\r\n\r\n"])
def test_the_byte_scan_finds_what_a_plain_line_split_finds(tmp_path, monkeypatch, last):
    """Blocks and pieces far smaller than a line: misfits, their byte ranges and the line count
    are those of a plain split, and the pieces tile the file at line starts."""
    monkeypatch.setattr(native, "BLOCK_BYTES", 7)
    monkeypatch.setattr(native, "PIECE_BYTES", 50)
    rows = [f"{n};Оплата «ёжик» № {n}" + (";лишнее" if n % 5 == 0 else "") for n in range(40)]
    text = "h;h\r\n" + "\r\n".join(rows) + "\nобрыв\r\n\r\n" + last
    data = text.encode("cp1251")
    source = tmp_path / "cp1251.csv"
    source.write_bytes(data)
    scan = native.scan_lines(source, "cp1251", b";", 1)
    assert (scan.physical, scan.misfits) == _misfits_by_python(data, b";", 1)
    assert scan.pieces[0].start == 0 and scan.pieces[-1].end == len(data)
    for before, after in zip(scan.pieces, scan.pieces[1:], strict=False):
        assert before.end == after.start and data[after.start - 1 : after.start] == b"\n"
        assert before.first_line + before.lines == after.first_line
    assert sum(p.lines for p in scan.pieces) == scan.physical


def test_a_byte_the_code_page_lacks_makes_transcoding_unavailable(tmp_path):
    source = tmp_path / "cp1251.csv"
    source.write_bytes("а;б\r\n".encode("cp1251") * 20 + b"\x98\r\n" + b"x;y\r\n" * 20)
    with pytest.raises(native.NativeUnavailable, match="byte 100 is not cp1251"):
        native.scan_lines(source, "cp1251", b";", 1)
