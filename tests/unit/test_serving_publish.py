"""Publication of the serving copy: atomic for readers, intact on failure, verifiable."""

from __future__ import annotations

import json
import os
import struct

import duckdb
import pytest

from serving.docs import DOCS_FILES, docs_fingerprint, publish_docs, published_fingerprint
from serving.masking import KEY_VARIABLE, UnknownPiiKind
from serving.month_files import MonthFiles, UnmarkedTable, declared_month_files
from serving.publish import (
    AUDIT_TABLE,
    CURRENT,
    MANIFEST,
    PUBLICATIONS,
    current_publication_dir,
    publish,
    serving_database_path,
)
from serving.verify import (
    record_masking_verified,
    row_count_mismatches,
    unmasked_pii_columns,
    unpublished_tables,
    verified_months,
)

pytestmark = pytest.mark.unit

RELATIONS = {
    ("marts", "dim_people"): {"surname": "name", "phone": "phone", "inn": "tax_id"},
    ("marts", "mart_counts"): {},
    ("ml", "ml_scores__churn"): {},
    ("staging", "stg_people"): {"surname": "name"},
}
KEY = "unit-key"


@pytest.fixture
def warehouse(tmp_path):
    """A small warehouse: two declared marts, one undeclared, an ml table, a staging table."""
    with duckdb.connect(str(tmp_path / "cdp.duckdb")) as con:
        con.execute("""
            create schema marts; create schema ml; create schema staging;
            create table marts.dim_people as
                select * from (values (1, 'ИВАНОВ', '+79161234567', '500100732259'),
                                      (2, 'ПЕТРОВА', '+79031112233', null),
                                      (3, null, null, '7707083893'))
                    t(person_id, surname, phone, inn);
            create table marts.mart_counts as
                select range as day, range * 2 as n, sum(range) over () as total from range(5);
            create table marts.scratch_undeclared as select 1 as x;
            create table ml.ml_scores__churn as select range as person_id, 0.5 as score
                from range(3);
            create table staging.stg_people as select 'ИВАНОВ' as surname;
        """)
        yield con


def _publish(con, serving_dir, keep=3, relations=RELATIONS):
    return publish(
        con,
        serving_dir=serving_dir,
        schemas=("marts", "ml", "absent"),
        relations=relations,
        mask_key=KEY,
        keep=keep,
    )


def test_declared_tables_of_the_published_schemas_are_served_masked(warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    publication = _publish(warehouse, serving_dir)

    served = {(t.schema, t.table): t for t in publication.tables}
    assert set(served) == {
        ("marts", "dim_people"),
        ("marts", "mart_counts"),
        ("ml", "ml_scores__churn"),
    }
    assert publication.skipped_tables == ["marts.scratch_undeclared"]
    assert served["marts", "dim_people"].masked_columns == {
        "surname": "name",
        "phone": "phone",
        "inn": "tax_id",
    }
    with duckdb.connect(str(serving_database_path(serving_dir)), read_only=True) as reader:
        rows = reader.execute(
            "select person_id, surname, phone, inn from marts.dim_people order by 1"
        ).fetchall()
        assert reader.execute("select count(*) from marts.mart_counts").fetchone() == (5,)
    assert [r[:3] for r in rows] == [
        (1, "И***", "+7916*****67"),
        (2, "П***", "+7903*****33"),
        (3, None, None),
    ]
    assert rows[1][3] is None and len(rows[0][3]) == 16 and rows[0][3] != "500100732259"

    current = serving_dir / CURRENT
    assert current.is_symlink() and current.resolve() == publication.publication_dir
    parquet = current / "marts" / "dim_people.parquet"
    assert duckdb.sql(f"select surname from '{parquet}' order by person_id").fetchall() == [
        ("И***",),
        ("П***",),
        (None,),
    ]
    manifest = json.loads((current / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["publication_id"] == publication.publication_id
    assert manifest["storage_version"] == "v1.0.0"
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == {
        "dim_people": 3,
        "mart_counts": 5,
        "ml_scores__churn": 3,
    }
    assert set(manifest["masking"]) == {"name", "phone", "tax_id"}
    assert warehouse.execute(f"select getvariable('{KEY_VARIABLE}')").fetchone() == (None,)
    assert warehouse.execute(
        f"select publication_id, tables, total_rows from {AUDIT_TABLE}"
    ).fetchall() == [(publication.publication_id, 3, 11)]


def test_the_serving_file_reads_each_table_from_its_parquet_with_the_warehouse_s_types(
    warehouse, tmp_path
):
    """The data is written once, to Parquet; the file's views read it, and cast back what
    Parquet types differently (a sum's HUGEINT is written as a double)."""
    publication = _publish(warehouse, tmp_path / "serving")
    with duckdb.connect(str(serving_database_path(tmp_path / "serving")), read_only=True) as reader:
        assert reader.execute("select count(*) from duckdb_tables()").fetchone() == (0,)
        views = reader.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal"
        ).fetchall()
        assert {(schema, name) for schema, name, _ in views} == {
            ("marts", "dim_people"), ("marts", "mart_counts"), ("ml", "ml_scores__churn")
        }  # fmt: skip
        assert all(str(publication.publication_dir) in sql for *_, sql in views)
        served = reader.execute("describe marts.mart_counts").fetchall()
    assert [row[:2] for row in served] == [("day", "BIGINT"), ("n", "BIGINT"), ("total", "HUGEINT")]
    assert served == warehouse.execute("describe marts.mart_counts").fetchall()


def test_the_serving_file_is_readable_by_every_duckdb_1x(warehouse, tmp_path):
    """Storage format 64 is what DuckDB 0.10 and 1.0 – 1.1 write and every later 1.x reads."""
    _publish(warehouse, tmp_path / "serving")
    header = serving_database_path(tmp_path / "serving").read_bytes()[:20]
    assert struct.unpack("<8x4sQ", header) == (b"DUCK", 64)


def test_a_reader_of_the_old_copy_keeps_reading_it_while_the_next_is_published(warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    first = _publish(warehouse, serving_dir)
    database = serving_database_path(serving_dir)
    old_parquet = (serving_dir / CURRENT / "marts" / "mart_counts.parquet").resolve()
    with duckdb.connect(str(database), read_only=True) as reader:
        warehouse.execute("insert into marts.mart_counts select range, 0, 0 from range(5, 8)")
        second = _publish(warehouse, serving_dir)
        assert reader.execute("select count(*) from marts.mart_counts").fetchone() == (5,)
    with duckdb.connect(str(database), read_only=True) as reader:
        assert reader.execute("select count(*) from marts.mart_counts").fetchone() == (8,)
    assert current_publication_dir(serving_dir) == second.publication_dir
    assert old_parquet.is_relative_to(first.publication_dir)
    assert duckdb.sql(f"select count(*) from '{old_parquet}'").fetchone() == (5,)


def test_a_failed_publication_leaves_the_previous_one_intact(warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    first = _publish(warehouse, serving_dir)
    database = serving_database_path(serving_dir)
    before = database.read_bytes()
    broken = {**RELATIONS, ("ml", "ml_scores__churn"): {"score": "iban"}}  # fails last table

    with pytest.raises(UnknownPiiKind):
        _publish(warehouse, serving_dir, relations=broken)

    assert database.read_bytes() == before
    assert current_publication_dir(serving_dir) == first.publication_dir
    assert [p.name for p in (serving_dir / PUBLICATIONS).iterdir()] == [first.publication_id]
    assert sorted(p.name for p in serving_dir.iterdir()) == sorted(
        [CURRENT, database.name, PUBLICATIONS]
    )
    assert warehouse.execute(f"select count(*) from {AUDIT_TABLE}").fetchone() == (1,)
    assert warehouse.execute(
        "select count(*) from duckdb_databases() where not internal"
    ).fetchone() == (1,)

    second = _publish(warehouse, serving_dir)  # the warehouse connection is still usable
    assert current_publication_dir(serving_dir) == second.publication_dir


def test_leftovers_of_a_killed_publication_are_removed(warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    (serving_dir / PUBLICATIONS / ".20260101T000000.000000Z.tmp").mkdir(parents=True)
    unfinished = serving_dir / PUBLICATIONS / "20260102T000000.000000Z" / "marts"
    unfinished.mkdir(parents=True)  # a publication's own folder, killed before its manifest
    (unfinished / "dim_people.parquet").write_bytes(b"half")
    (serving_dir / ".cdp_serving.duckdb.20260101T000000.000000Z.tmp").write_bytes(b"half")
    (serving_dir / ".cdp_serving.duckdb.20260101T000000.000000Z.tmp.wal").write_bytes(b"half")
    os.symlink(PUBLICATIONS, serving_dir / ".current.20260101T000000.000000Z.tmp")
    publication = _publish(warehouse, serving_dir)
    assert sorted(p.name for p in serving_dir.iterdir()) == sorted(
        [CURRENT, "cdp_serving.duckdb", PUBLICATIONS]
    )
    assert [p.name for p in (serving_dir / PUBLICATIONS).iterdir()] == [publication.publication_id]


def test_only_the_newest_publications_are_kept(warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    ids = [_publish(warehouse, serving_dir, keep=2).publication_id for _ in range(4)]
    assert sorted(p.name for p in (serving_dir / PUBLICATIONS).iterdir()) == ids[-2:]
    assert current_publication_dir(serving_dir).name == ids[-1]


def test_checks_pass_on_a_fresh_copy_and_catch_drift_and_unmasked_values(warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    _publish(warehouse, serving_dir)
    database = serving_database_path(serving_dir)
    assert row_count_mismatches(warehouse, database) == []
    assert unmasked_pii_columns(warehouse, database, RELATIONS, KEY) == []
    assert unpublished_tables(warehouse, database, ("marts", "ml")) == ["marts.scratch_undeclared"]

    warehouse.execute("delete from marts.mart_counts where day = 0")
    assert row_count_mismatches(warehouse, database) == [
        {"table": "marts.mart_counts", "serving_rows": 5, "warehouse_rows": 4}
    ]
    parquet = serving_dir / CURRENT / "marts" / "dim_people.parquet"
    duckdb.sql(
        f"copy (select * replace (if(person_id = 1, 'ИВАНОВ', surname) as surname) "
        f"from '{parquet}') to '{parquet}.new' (format parquet)"
    )
    os.replace(f"{parquet}.new", parquet)  # the file the serving view reads
    assert unmasked_pii_columns(warehouse, database, RELATIONS, KEY) == [
        {"table": "marts.dim_people", "column": "surname", "kind": "name"}
    ]
    wrong_key = unmasked_pii_columns(warehouse, database, RELATIONS, "wrong-key")
    assert [o["column"] for o in wrong_key] == ["surname", "inn"]


def test_docs_are_copied_whole_into_place_with_their_fingerprint(tmp_path):
    artifacts = tmp_path / "target"
    artifacts.mkdir()
    for name in DOCS_FILES:
        (artifacts / name).write_text(name, encoding="utf-8")
    docs = tmp_path / "docs"
    assert published_fingerprint(docs) is None
    written = publish_docs(artifacts, docs, "abc")
    assert [p.read_text(encoding="utf-8") for p in written] == list(DOCS_FILES)
    assert sorted(p.name for p in docs.iterdir()) == sorted([*DOCS_FILES, ".fingerprint"])
    assert published_fingerprint(docs) == "abc"
    (docs / "catalog.json").unlink()  # docs missing a file are regenerated
    assert published_fingerprint(docs) is None


def test_the_docs_fingerprint_follows_the_project_and_its_columns_not_the_rows(warehouse, tmp_path):
    manifest = tmp_path / "manifest.json"

    def fingerprint(description="A", generated_at="2026-12-05", column="created_at"):
        node = {"resource_type": "model", "schema": "marts", "name": "mart_counts",
                "alias": "mart_counts", "description": description,
                "columns": {column: {"name": column}}, "created_at": generated_at}  # fmt: skip
        metadata = {"generated_at": generated_at}
        manifest.write_text(
            json.dumps({"metadata": metadata, "nodes": {"model.a": node}, "sources": {}})
        )
        return docs_fingerprint(manifest, warehouse)

    first = fingerprint()
    assert fingerprint(generated_at="2026-12-06") == first  # a parse from scratch, same project
    assert fingerprint(column="updated_at") != first  # a column called created_at still counts
    warehouse.execute("insert into marts.mart_counts values (9, 9, 9)")
    warehouse.execute("create table marts.not_documented (x int)")
    assert fingerprint() == first
    assert fingerprint(description="B") != first
    warehouse.execute("alter table marts.mart_counts add column note varchar")
    assert fingerprint() != first


def test_the_memory_limit_holds_while_publishing_and_is_reset_after(warehouse, tmp_path):
    def limit():
        return warehouse.execute("select current_setting('memory_limit')").fetchone()[0]

    before = limit()
    with pytest.raises(duckdb.OutOfMemoryException):  # too little to copy anything: applied
        publish(
            warehouse,
            serving_dir=tmp_path / "serving",
            schemas=("marts", "ml"),
            relations=RELATIONS,
            mask_key=KEY,
            keep=3,
            memory_limit="1KB",
        )
    assert limit() == before
    assert _publish(warehouse, tmp_path / "serving").tables


FACT_RELATIONS = {**RELATIONS, ("marts", "fct_events"): {"client_record_key": "record_id"}}
LAYOUTS = {("marts", "fct_events"): MonthFiles("event_date", ("event_id",))}


@pytest.fixture
def fact_warehouse(warehouse):
    """The small warehouse with a fact of three months and one row without a client, every row
    written by the run ``r1``."""
    warehouse.execute("""
        create table marts.fct_events as
            select * from (values
                (1, date '2026-01-05', 'g1', 'abs:1', 10.5::decimal(18, 2), 'r1'),
                (2, date '2026-01-20', 'g2', 'abs:2', 20.0, 'r1'),
                (3, date '2026-02-01', null, null, 30.0, 'r1'),
                (4, date '2026-03-31', 'g1', 'contact_center:+79161234567', 40.0, 'r1'))
                t(event_id, event_date, golden_client_id, client_record_key, amount, _written_by);
    """)
    return warehouse


def _publish_facts(con, serving_dir, key=KEY):
    return publish(
        con,
        serving_dir=serving_dir,
        schemas=("marts",),
        relations=FACT_RELATIONS,
        mask_key=key,
        keep=3,
        layouts=LAYOUTS,
    )


def _served_events(serving_dir):
    with duckdb.connect(str(serving_database_path(serving_dir)), read_only=True) as reader:
        return reader.execute("select * from marts.fct_events order by event_id").fetchall()


def _month_files(publication):
    [published] = [t for t in publication.tables if t.table == "fct_events"]
    return {f.month: f for f in published.month_files}


def test_a_month_file_table_is_served_one_file_per_month(fact_warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    publication = _publish_facts(fact_warehouse, serving_dir)

    files = _month_files(publication)
    assert {m: f.rows for m, f in files.items()} == {
        "2026-01": 2, "2026-02": 1, "2026-03": 1, "undated": 0
    }  # fmt: skip
    folder = serving_dir / CURRENT / "marts" / "fct_events"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2026-01.parquet", "2026-02.parquet", "2026-03.parquet", "undated.parquet"
    ]  # fmt: skip
    assert duckdb.sql(f"select event_id from '{folder}/2026-01.parquet'").fetchall() in (
        [(1,), (2,)], [(2,), (1,)]
    )  # fmt: skip
    served = _served_events(serving_dir)
    built = fact_warehouse.execute("select * from marts.fct_events order by event_id").fetchall()
    assert [r[:3] + r[4:] for r in served] == [r[:3] + r[4:] for r in built]
    assert served[3][3] != built[3][3] and len(served[3][3]) == 16  # the phone key is hashed
    with duckdb.connect(str(serving_database_path(serving_dir)), read_only=True) as reader:
        described = reader.execute("describe marts.fct_events").fetchall()
    assert described == fact_warehouse.execute("describe marts.fct_events").fetchall()
    database = serving_database_path(serving_dir)
    assert row_count_mismatches(fact_warehouse, database) == []
    assert unmasked_pii_columns(fact_warehouse, database, FACT_RELATIONS, KEY) == []
    manifest = json.loads((serving_dir / CURRENT / MANIFEST).read_text(encoding="utf-8"))
    [entry] = [t for t in manifest["tables"] if t["table"] == "fct_events"]
    assert entry["parquet"] == "marts/fct_events" and entry["rows"] == 4


def test_unchanged_months_are_linked_and_changed_ones_written_again(fact_warehouse, tmp_path):
    serving_dir = tmp_path / "serving"
    first = _publish_facts(fact_warehouse, serving_dir)
    fact_warehouse.execute("""
        update marts.fct_events set golden_client_id = 'g1', _written_by = 'r2'
            where event_id = 2;  -- a merge
        update marts.fct_events set amount = 31, _written_by = 'r2' where event_id = 3;
    """)
    second = _publish_facts(fact_warehouse, serving_dir)

    files = _month_files(second)
    assert {m for m, f in files.items() if f.reused} == {"2026-03", "undated"}
    assert second.reused_month_files == 2
    assert files["2026-02"].fingerprint != _month_files(first)["2026-02"].fingerprint

    def stat(publication, month):
        return (publication.publication_dir / "marts" / "fct_events" / f"{month}.parquet").stat()

    assert stat(second, "2026-03").st_ino == stat(first, "2026-03").st_ino
    assert stat(second, "2026-01").st_ino != stat(first, "2026-01").st_ino
    assert second.bytes_written == sum(t.parquet_bytes for t in second.tables) - sum(
        f.bytes for f in files.values() if f.reused
    )
    assert [(r[0], r[2], r[4]) for r in _served_events(serving_dir)] == [
        (1, "g1", 10.5), (2, "g1", 20.0), (3, None, 31.0), (4, "g1", 40.0)
    ]  # fmt: skip
    assert row_count_mismatches(fact_warehouse, serving_database_path(serving_dir)) == []


def test_a_month_a_run_rewrote_is_written_again_though_its_values_are_the_same(
    fact_warehouse, tmp_path
):
    """Months are told apart by their rows' keys and writers, not their values: a rebuilt row
    (an increment deletes and inserts a client's rows) makes its month new."""
    serving_dir = tmp_path / "serving"
    _publish_facts(fact_warehouse, serving_dir)
    fact_warehouse.execute("update marts.fct_events set _written_by = 'r2' where event_id = 4")
    files = _month_files(_publish_facts(fact_warehouse, serving_dir))
    assert {m for m, f in files.items() if not f.reused} == {"2026-03"}


def test_a_month_whose_rows_one_run_all_rewrote_is_written_again(fact_warehouse, tmp_path):
    """Two rows of a month rewritten by one run (a full build, a merge re-pointing two rows):
    DuckDB's hash of (key, writer) is linear in the writer's hash, so XORed over an even number
    of rows the writers cancel — each row's hash is hashed again before the XOR. Found by the
    bench's warehouse_equivalence: after a full build every month of bank-100k kept its file."""
    serving_dir = tmp_path / "serving"
    _publish_facts(fact_warehouse, serving_dir)
    fact_warehouse.execute(
        "update marts.fct_events set golden_client_id = 'g3', _written_by = 'r2' "
        "where event_date < date '2026-02-01'"
    )
    files = _month_files(_publish_facts(fact_warehouse, serving_dir))
    assert {m for m, f in files.items() if not f.reused} == {"2026-01"}
    assert {r[2] for r in _served_events(serving_dir) if r[0] in (1, 2)} == {"g3"}


def test_a_table_served_by_month_must_say_which_run_wrote_its_rows(fact_warehouse, tmp_path):
    fact_warehouse.execute("alter table marts.fct_events drop column _written_by")
    with pytest.raises(
        UnmarkedTable, match=r"marts\.fct_events .* --full-refresh --select fct_events"
    ):
        _publish_facts(fact_warehouse, tmp_path / "serving")


def test_a_new_masking_key_rewrites_every_month(fact_warehouse, tmp_path):
    """The files hold hashes under the key: a month written under the old one is not reused."""
    serving_dir = tmp_path / "serving"
    _publish_facts(fact_warehouse, serving_dir)
    assert _publish_facts(fact_warehouse, serving_dir, key="new-key").reused_month_files == 0
    assert _publish_facts(fact_warehouse, serving_dir, key="new-key").reused_month_files == 4


def _set_record_key(path, event_id, value):
    """Rewrite one served month file with an event's record key changed (a new file at the same
    path, as a broken publication would leave it)."""
    duckdb.sql(
        f"copy (select * replace (if(event_id = {event_id}, '{value}', client_record_key) "
        f"as client_record_key) from '{path}') to '{path}.new' (format parquet)"
    )
    os.replace(f"{path}.new", path)


def test_the_masking_check_compares_again_only_the_months_written_since_a_passed_check(
    fact_warehouse, tmp_path
):
    serving_dir = tmp_path / "serving"
    database = serving_database_path(serving_dir)
    first = _publish_facts(fact_warehouse, serving_dir)
    assert verified_months(first.publication_dir) == {}
    fact_warehouse.execute(
        "update marts.fct_events set amount = 31, _written_by = 'r2' where event_id = 3"
    )
    unrecorded = _publish_facts(fact_warehouse, serving_dir)
    assert verified_months(unrecorded.publication_dir) == {}  # no check passed on the first
    record_masking_verified(unrecorded.publication_dir)
    fact_warehouse.execute(
        "update marts.fct_events set amount = 41, _written_by = 'r3' where event_id = 4"
    )
    second = _publish_facts(fact_warehouse, serving_dir)

    verified = verified_months(second.publication_dir)
    assert verified == {("marts", "fct_events"): {"2026-01", "2026-02", "undated"}}

    def offenders(verified):
        return unmasked_pii_columns(
            fact_warehouse, database, FACT_RELATIONS, KEY, LAYOUTS, verified
        )

    assert offenders(verified) == []
    folder = second.publication_dir / "marts" / "fct_events"
    unmasked = [{"table": "marts.fct_events", "column": "client_record_key", "kind": "record_id"}]
    _set_record_key(folder / "2026-01.parquet", 1, "abs:9")  # a verified month: not compared
    assert offenders(verified) == []
    assert offenders({}) == unmasked
    _set_record_key(folder / "2026-01.parquet", 1, "abs:1")
    _set_record_key(folder / "2026-03.parquet", 4, "contact_center:+79161234567")  # written
    assert offenders(verified) == unmasked


def test_month_layouts_are_read_from_the_models_meta(tmp_path):
    def model(name, meta):
        return {"resource_type": "model", "name": name, "alias": name, "schema": "marts",
                "config": {"meta": meta}}  # fmt: skip

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.p.fct_a": model("fct_a", {"serving": {"files_by_month_of": "d",
                                                     "rows_keyed_by": ["k"]}}),
        "model.p.dim_c": model("dim_c", {"dagster": {"group": "marts"}}),
    }}))  # fmt: skip
    assert declared_month_files(manifest) == {("marts", "fct_a"): MonthFiles("d", ("k",))}
