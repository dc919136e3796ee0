"""The identity stage materialized on the tiny bank: outputs, invariants, stable ids, overrides,
and the resolver for outside files."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest

from identity.resolution import stored_model
from identity.resolver import ResolverInputError, dedupe_file, match_file, read_input
from orchestration.definitions import build_definitions
from orchestration.defs.identity import RESOLVE_OUTPUTS

pytestmark = pytest.mark.integration


def test_identity_job_materializes_every_output_and_its_checks_pass(identity_bank):
    _, result = identity_bank
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey(list(k)) for k in RESOLVE_OUTPUTS} <= materialized
    assert dg.AssetKey(["marts", "mart_identity_quality"]) in materialized
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "no_client_holds_two_valid_inns": True,
        "no_client_holds_two_valid_snils": True,
        "every_source_record_has_one_golden_client": True,
        "no_cluster_is_oversized": True,
    }


def test_every_source_record_maps_to_one_golden_client(identity_bank, warehouse):
    counts = dict(
        warehouse.execute(
            "select source || '/' || role, count(*) from marts.dim_client_crosswalk group by 1"
        ).fetchall()
    )
    raw = {
        "abs/individual": "select count(distinct abs_client_id) from raw.abs__clients "
        "where client_type = 'ФЛ'",
        "abs/sole_proprietor": "select count(distinct abs_client_id) from raw.abs__clients "
        "where client_type = 'ИП'",
        "abs/legal_entity": "select count(distinct abs_client_id) from raw.abs__clients "
        "where client_type = 'ЮЛ'",
        "cards/card_holder": "select count(distinct holder_id) from raw.cards__holders",
        "dbo/dbo_login": "select count(distinct login_id) from raw.dbo__profiles",
    }
    for key, sql in raw.items():
        assert counts[key] == warehouse.execute(sql).fetchone()[0], key
    golden, in_crosswalk, abs_clients = warehouse.execute(
        "select (select count(*) from marts.dim_clients), "
        "(select count(distinct golden_client_id) from marts.dim_client_crosswalk), "
        "(select count(distinct abs_client_id) from raw.abs__clients)"
    ).fetchone()
    assert golden == in_crosswalk
    assert golden < abs_clients, "duplicates consolidate: fewer golden clients than АБС records"
    dup = warehouse.execute(
        "select count(*) - count(distinct golden_client_id) from marts.dim_clients"
    ).fetchone()[0]
    assert dup == 0


def test_every_golden_attribute_has_lineage_to_a_source_record(identity_bank, warehouse):
    lineage = (
        "(unpivot marts.dim_client_attribute_sources on columns(* exclude (golden_client_id)) "
        "into name attribute value record_key)"
    )
    orphans = warehouse.execute(
        f"select count(*) from {lineage} as l left join marts.dim_client_crosswalk as c "
        "using (record_key) where c.golden_client_id is distinct from l.golden_client_id"
    ).fetchone()[0]
    assert orphans == 0
    named = warehouse.execute(f"select count(*) from {lineage}").fetchone()[0]
    assert named > 5 * warehouse.execute("select count(*) from marts.dim_clients").fetchone()[0]
    inns = warehouse.execute(
        "select count(*) from marts.dim_clients as d "
        "join marts.dim_client_attribute_sources as l using (golden_client_id) "
        "join intermediate.int_client_records_unioned as r on r.record_key = l.inn_record_key "
        "where d.inn is distinct from r.inn_valid"
    ).fetchone()[0]
    assert inns == 0


@pytest.fixture
def own_copy(identity_bank, tmp_path):
    """A private copy of the resolved warehouse and an overrides folder of its own."""
    settings, _ = identity_bank
    warehouse = tmp_path / "cdp.duckdb"
    shutil.copy(settings.warehouse_path, warehouse)
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    copy = settings.model_copy(
        update={"warehouse_path": warehouse, "identity_overrides_dir": overrides}
    )
    return copy


def _resolve(settings) -> pl.DataFrame:
    job = build_definitions(settings).resolve_job_def("resolve_clients_job")
    assert job.execute_in_process(raise_on_error=False).success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql("select record_key, golden_client_id from marts.dim_client_crosswalk").pl()


def _history(settings) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql("select * from identity.golden_id_history order by run_at").pl()


def test_rerun_keeps_ids_and_a_never_link_undoes_a_merge_until_removed(own_copy):
    with duckdb.connect(str(own_copy.warehouse_path), read_only=True) as con:
        before = con.sql("select record_key, golden_client_id from marts.dim_client_crosswalk").pl()
        merged = con.execute(
            "select record_key_l, record_key_r from intermediate.int_client_links_scored "
            "where decision = 'accepted' and kind = 'probabilistic' "
            "and record_key_l like 'abs:%' and record_key_r like 'abs:%' limit 1"
        ).fetchone()
    events_before = _history(own_copy).height
    assert _resolve(own_copy).sort("record_key").equals(before.sort("record_key"))
    assert _history(own_copy).height == events_before, "a rerun records no events"

    (own_copy.identity_overrides_dir / "never_link.csv").write_text(
        "record_key_l,record_key_r,reason,author,added_on\n"
        f"{merged[0]},{merged[1]},different people (steward check),qa,2026-11-01\n"
    )
    split = dict(_resolve(own_copy).iter_rows())
    assert split[merged[0]] != split[merged[1]]
    events = _history(own_copy).slice(events_before)
    assert "split_from" in events["event"].to_list()
    with duckdb.connect(str(own_copy.warehouse_path), read_only=True) as con:
        hits = con.execute(
            "select value from marts.mart_identity_quality "
            "where metric = 'override_hits' and dimension = 'never_link'"
        ).fetchone()[0]
    assert hits == 1

    (own_copy.identity_overrides_dir / "never_link.csv").unlink()
    rejoined = dict(_resolve(own_copy).iter_rows())
    assert rejoined[merged[0]] == rejoined[merged[1]]
    assert "merged_into" in _history(own_copy)["event"].to_list()


def test_resolver_matches_known_people_and_accounts_for_every_row(
    identity_bank, warehouse, tmp_path
):
    known = warehouse.execute(
        "select c.abs_client_id, c.surname, c.first_name, c.patronymic, c.birth_date, "
        "c.mobile_phone, x.golden_client_id from raw.abs__clients as c "
        "join marts.dim_client_crosswalk as x on x.record_key = 'abs:' || c.abs_client_id "
        "where c.client_type = 'ФЛ' and c.birth_date > date '1920-01-01' "
        "and c.mobile_phone like '+79%' order by c.abs_client_id limit 3"
    ).fetchall()
    lines = ["source_record_id;surname;first_name;patronymic;birth_date;phones"]
    for cif, surname, first, patronymic, born, phone, _ in known:
        # a partner's spelling: Latin script, day-first dates
        lines.append(f"k{cif};{surname.upper()};{first};{patronymic or ''};"
                     f"{born:%d.%m.%Y};{phone}")  # fmt: skip
    lines += ["n1;Небывалов;Аристарх;Феофилактович;03.03.1933;+79990000001",
              "bad;Иванов;Иван;;32.13.1990;"]  # fmt: skip
    path = tmp_path / "partner.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = match_file(warehouse, read_input(path))
    assert result["line"].to_list() == list(range(2, 2 + len(known) + 2))
    by_id = {r["source_record_id"]: r for r in result.iter_rows(named=True)}
    for cif, *_, golden in known:
        assert by_id[f"k{cif}"]["status"] == "matched"
        assert by_id[f"k{cif}"]["golden_client_id"] == golden
    assert by_id["n1"]["status"] == "unmatched"
    assert by_id["bad"]["status"] == "rejected"
    assert by_id["bad"]["reason"].startswith("birth_date")


def test_resolver_dedupes_a_file_on_its_own(identity_bank, warehouse, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "source_record_id,surname,first_name,birth_date,phones,emails\n"
        "a,Фёдорова,Наталья,1985-04-12,8 (916) 555-12-34,n.fedorova@mail.ru\n"
        "b,FEDOROVA,NATALIA,1985-04-12,+79165551234,\n"
        "c,Федорова,Наталья,1961-09-30,+79035550000,\n"
        # other leads, so term frequencies are those of a list, not of one family
        + "".join(
            f"x{i},{surname},{first},19{60 + i}-0{1 + i % 9}-1{i % 10},+7916000{i:04d},\n"
            for i, (surname, first) in enumerate(
                [
                    ("Смирнов", "Иван"),
                    ("Кузнецова", "Анна"),
                    ("Попов", "Сергей"),
                    ("Васильева", "Ольга"),
                    ("Соколов", "Дмитрий"),
                    ("Морозова", "Елена"),
                ]
            )
        ),
        encoding="utf-8",
    )
    result = dedupe_file(read_input(path), stored_model(warehouse))
    clusters = dict(result.select("source_record_id", "cluster_id").iter_rows())
    assert clusters["a"] == clusters["b"] != clusters["c"]
    assert len(set(clusters.values())) == len(clusters) - 1


def test_resolver_rejects_a_file_without_the_id_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("surname,first_name\nИванов,Иван\n", encoding="utf-8")
    with pytest.raises(
        ResolverInputError, match=r"bad.csv: line 1: missing column source_record_id"
    ):
        read_input(path)
