"""The golden record against the simulator's truth: who is who."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from identity.clustering import identifier_edges
from identity.config import MatchingConfig
from identity.matching import candidate_pairs, hub_free
from simulator.evaluation import (
    company_truth,
    connected_pair_recall,
    linkage_report,
    person_truth,
)

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]


@pytest.fixture(scope="module")
def resolved(identity_bank):
    settings, result = identity_bank
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        crosswalk = con.sql(
            "select record_key, source, source_record_id, lineage_record_id, role, "
            "golden_client_id from marts.dim_client_crosswalk"
        ).pl()
        records = con.sql("select * from intermediate.int_client_records_unioned").pl()
    return settings, crosswalk, records


def test_person_matching_meets_the_bars(resolved):
    settings, crosswalk, _ = resolved
    people = crosswalk.filter(pl.col("role") != "legal_entity")
    truth = person_truth(settings.truth_dir, people)
    assert truth.height == people.height, "every person record has a truth person"
    report = linkage_report(
        truth, people.select("record_key", pl.col("golden_client_id").alias("cluster_key"))
    )
    print(
        f"\npairwise precision {report.pairwise_precision:.4f} recall "
        f"{report.pairwise_recall:.4f}; B-cubed P {report.bcubed_precision:.4f} "
        f"R {report.bcubed_recall:.4f} F1 {report.bcubed_f1:.4f}; "
        f"{report.true_pairs} true pairs over {report.records} records"
    )
    for row in report.by_source_pair:
        print(f"  {row['sources']:32} pairs {row['true_pairs']:6} "
              f"P {row['precision']:.4f} R {row['recall']:.4f}")  # fmt: skip
    assert report.pairwise_precision >= 0.995
    assert report.pairwise_recall >= 0.98
    assert report.bcubed_f1 >= 0.98
    abs_pair = next(r for r in report.by_source_pair if r["sources"] == "abs–abs")
    assert abs_pair["true_pairs"] > 50, "the tiny bank has АБС duplicates to find"
    assert abs_pair["recall"] >= 0.95 and abs_pair["precision"] >= 0.99


def test_blocking_leaves_almost_no_true_pair_unreachable(resolved):
    settings, crosswalk, records = resolved
    config = MatchingConfig()
    keyed = hub_free(records, config)
    candidates = candidate_pairs(keyed.filter(pl.col("role") != "identified_caller"), config)
    anchors = keyed.filter(pl.col("anchor_id").is_not_null()).select(
        "record_key", (pl.lit("abs:") + pl.col("anchor_id")).alias("record_key_r")
    )
    edges = pl.concat(
        [
            candidates,
            anchors.rename({"record_key": "record_key_l"}),
            identifier_edges(keyed, 5).select("record_key_l", "record_key_r"),
        ]
    )
    truth = person_truth(settings.truth_dir, crosswalk.filter(pl.col("role") != "legal_entity"))
    recall = connected_pair_recall(truth, edges)
    per_record = candidates.height / keyed.height
    print(f"\nblocking recall {recall:.4f}; {candidates.height} candidate pairs "
          f"({per_record:.1f} per record)")  # fmt: skip
    assert recall >= 0.99
    assert per_record < 20, "tens of candidate pairs per record at most"


def test_no_client_merges_two_people_with_different_valid_inn_or_snils(resolved):
    settings, crosswalk, records = resolved
    truth = person_truth(settings.truth_dir, crosswalk.filter(pl.col("role") != "legal_entity"))
    merged = (
        records.join(truth.select("record_key", "person_id"), on="record_key")
        .group_by("golden_client_id")
        .agg(
            pl.col("person_id").n_unique().alias("people"),
            pl.col("inn_valid").drop_nulls().n_unique().alias("inns"),
            pl.col("snils_valid").drop_nulls().n_unique().alias("snilses"),
        )
    )
    assert merged.filter((pl.col("inns") > 1) | (pl.col("snilses") > 1)).is_empty()


def test_legal_entities_resolve_to_their_companies(resolved):
    settings, crosswalk, _ = resolved
    firms = crosswalk.filter(pl.col("role") == "legal_entity")
    truth = company_truth(settings.truth_dir, firms)
    report = linkage_report(
        truth, firms.select("record_key", pl.col("golden_client_id").alias("cluster_key"))
    )
    assert report.pairwise_precision == 1.0
    assert report.pairwise_recall == 1.0
