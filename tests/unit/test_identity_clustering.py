"""Clustering guards, steward overrides and stable golden ids, on hand-made records."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from identity.clustering import cluster, identifier_edges
from identity.overrides import OverrideFileError, load_overrides
from identity.stable_ids import carry_forward

pytestmark = pytest.mark.unit

RECORDS = pl.DataFrame(
    {
        "record_key": ["abs:1", "abs:2", "abs:3", "cards:H1", "dbo:L1", "abs:4"],
        "anchor_id": ["1", "2", "3", "1", None, "4"],
        "inn_valid": ["500100732259", "500100732259", "772807592836", None, None, None],
        "snils_valid": [None, None, None, None, None, None],
    },
    schema_overrides={"snils_valid": pl.String},
)
NO_OVERRIDES = pl.DataFrame(schema={"record_key_l": pl.String, "record_key_r": pl.String})


def _edges(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [(left, right, kind, p) for left, right, kind, p in rows],
        schema={
            "record_key_l": pl.String,
            "record_key_r": pl.String,
            "kind": pl.String,
            "match_probability": pl.Float64,
        },
        orient="row",
    )


def _clusters(result) -> dict[str, str]:
    return dict(result.clusters.iter_rows())


def test_shared_valid_inn_links_and_satellites_follow_their_anchor():
    result = cluster(RECORDS, identifier_edges(RECORDS, max_records=5), NO_OVERRIDES)
    clusters = _clusters(result)
    assert clusters["abs:1"] == clusters["abs:2"] == clusters["cards:H1"]
    assert clusters["abs:3"] != clusters["abs:1"]
    assert clusters["dbo:L1"] == "dbo:L1"


def test_an_identifier_on_too_many_records_links_nothing():
    assert identifier_edges(RECORDS, max_records=1).is_empty()


def test_two_different_valid_inns_are_never_merged_however_strong_the_match():
    edges = _edges(("abs:1", "abs:3", "probabilistic", 0.9999))
    result = cluster(RECORDS, edges, NO_OVERRIDES)
    assert _clusters(result)["abs:1"] != _clusters(result)["abs:3"]
    assert result.conflicts["reason"].to_list() == ["different_valid_inn"]


def test_never_link_undoes_a_merge_and_detaches_a_satellite():
    edges = _edges(("abs:4", "dbo:L1", "probabilistic", 0.999))
    never = pl.DataFrame(
        {"record_key_l": ["abs:4", "abs:1"], "record_key_r": ["dbo:L1", "cards:H1"]}
    )
    result = cluster(RECORDS, edges, never)
    clusters = _clusters(result)
    assert clusters["abs:4"] != clusters["dbo:L1"]
    assert clusters["cards:H1"] != clusters["abs:1"]
    assert result.conflicts["reason"].to_list() == ["never_link_override"]


def test_must_link_joins_what_the_model_missed():
    edges = _edges(("abs:4", "dbo:L1", "must_link", 1.0))
    clusters = _clusters(cluster(RECORDS, edges, NO_OVERRIDES))
    assert clusters["abs:4"] == clusters["dbo:L1"]


RUN = dt.datetime(2026, 11, 1)
NO_EDGES = _edges()


def _frame(mapping: dict[str, str], value: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"record_key": list(mapping), value: list(mapping.values())},
        schema={"record_key": pl.String, value: pl.String},
    )


def test_golden_ids_survive_a_rerun_without_events():
    clusters = _frame({"a": "a", "b": "a", "c": "c"}, "cluster_key")
    first, events = carry_forward(clusters, None, NO_EDGES, RUN)
    assert sorted(events["event"]) == ["created", "created"]
    second, events = carry_forward(clusters, first, NO_EDGES, RUN)
    assert dict(second.iter_rows()) == dict(first.iter_rows())
    assert events.is_empty()


def test_a_merge_keeps_the_bigger_id_and_records_the_other():
    previous = _frame(
        {"a": "GC0000000001", "b": "GC0000000001", "c": "GC0000000002"}, "golden_client_id"
    )
    clusters = _frame({"a": "x", "b": "x", "c": "x"}, "cluster_key")
    edges = _edges(("b", "c", "probabilistic", 0.999))
    assigned, events = carry_forward(clusters, previous, edges, RUN)
    assert set(assigned["golden_client_id"]) == {"GC0000000001"}
    merged = events.row(0, named=True)
    assert (merged["event"], merged["golden_client_id"]) == ("merged_into", "GC0000000002")
    assert merged["related_golden_client_id"] == "GC0000000001"
    assert merged["reason"] == "linked by probabilistic"


def test_a_split_gives_the_smaller_part_a_new_id():
    previous = _frame(
        {"a": "GC0000000007", "b": "GC0000000007", "c": "GC0000000007"}, "golden_client_id"
    )
    clusters = _frame({"a": "x", "b": "x", "c": "y"}, "cluster_key")
    assigned, events = carry_forward(clusters, previous, NO_EDGES, RUN)
    ids = dict(assigned.iter_rows())
    assert ids["a"] == ids["b"] == "GC0000000007"
    assert ids["c"] == "GC0000000008"
    assert events.select("golden_client_id", "event", "related_golden_client_id").rows() == [
        ("GC0000000008", "split_from", "GC0000000007")
    ]


def test_override_file_errors_name_file_line_and_field(tmp_path):
    (tmp_path / "never_link.csv").write_text(
        "record_key_l,record_key_r,reason\nabs:1,cards:H1,wrong card\nabs:2,,typo\n"
    )
    with pytest.raises(OverrideFileError, match=r"never_link.csv: line 3: field record_key_r"):
        load_overrides(tmp_path)
    (tmp_path / "never_link.csv").write_text("left,right\n")
    with pytest.raises(OverrideFileError, match="missing column"):
        load_overrides(tmp_path)


def test_missing_override_files_mean_no_overrides(tmp_path):
    overrides = load_overrides(tmp_path)
    assert overrides.must_link.is_empty() and overrides.never_link.is_empty()


def test_an_override_is_applied_only_when_both_its_records_exist(tmp_path):
    (tmp_path / "must_link.csv").write_text(
        "record_key_l,record_key_r\nabs:1,dbo:L1\nabs:2,dbo:gone\n"
    )
    (tmp_path / "never_link.csv").write_text("record_key_l,record_key_r\ndbo:L1,abs:2\n")
    hits = load_overrides(tmp_path).hits(pl.Series(["abs:1", "abs:2", "dbo:L1", "cards:H1"]))
    assert hits.select("kind", "record_key_r", "is_applied").rows() == [
        ("must_link", "dbo:L1", True),
        ("must_link", "dbo:gone", False),
        ("never_link", "abs:2", True),
    ]
