"""The KPI marts on the tiny bank reconcile with staging, raw and the loader's own rules."""

from __future__ import annotations

import polars as pl
import pytest

from ingestion import field_rules
from ingestion.contracts import CONTRACTS
from tests.warehouse_queries import first_row

pytestmark = pytest.mark.integration


def test_funnel_first_stages_count_every_application_and_shown_offer(built):
    applications, leads = first_row(
        built,
        "select sum(applications_count), sum(leads_count) from marts.mart_product_funnel",
    )
    [staged_applications] = first_row(
        built, "select count(distinct application_id) from staging.stg_dbo__applications"
    )
    [shown_offers] = first_row(
        built,
        "select count(distinct offer_id) from staging.stg_dbo__events "
        "where event_type = 'offer_shown'",
    )
    assert applications == staged_applications > 0
    assert leads == shown_offers > 0


def test_funnel_stages_only_narrow(built):
    [wider] = first_row(
        built,
        "select count(*) from marts.mart_product_funnel where not ("
        "leads_converted_count <= leads_count and submitted_count <= applications_count "
        "and approved_count + declined_count <= submitted_count "
        "and contracts_count <= approved_count and issued_count <= contracts_count)",
    )
    assert wider == 0


def test_funnel_issues_match_the_issued_steps_in_staging(built):
    [issued] = first_row(built, "select sum(issued_count) from marts.mart_product_funnel")
    [staged] = first_row(
        built,
        "select count(distinct application_id) from staging.stg_dbo__applications "
        "where step = 'issued'",
    )
    assert issued == staged > 0


def test_every_declined_application_has_a_reason_row(built):
    [declined] = first_row(
        built,
        "select sum(applications_count) from marts.mart_decline_reasons where outcome = 'declined'",
    )
    [staged] = first_row(
        built,
        "select count(distinct application_id) from staging.stg_dbo__applications "
        "where step = 'declined'",
    )
    assert declined == staged > 0


def test_calls_offered_are_answered_plus_abandoned(built):
    [unbalanced] = first_row(
        built,
        "select count(*) from marts.mart_contact_center_daily "
        "where inbound_offered_count <> inbound_answered_count + inbound_abandoned_count",
    )
    assert unbalanced == 0
    offered, outbound = first_row(
        built,
        "select sum(inbound_offered_count), sum(outbound_calls_count) "
        "from marts.mart_contact_center_daily",
    )
    inbound_calls, outbound_calls = first_row(
        built,
        "select count(*) filter (where direction = 'inbound'), "
        "count(*) filter (where direction = 'outbound') from staging.stg_contact_center__calls",
    )
    assert (offered, outbound) == (inbound_calls, outbound_calls)


def test_contact_center_kpis_land_in_plausible_ranges_over_the_year(built):
    """Whole-year figures from the daily counts; the simulator is calibrated to the usual
    contact-centre targets (docs/sources/contact_center.md#calibration)."""
    service_level, abandonment, aht_minutes, fcr = first_row(
        built,
        "select 100.0 * sum(answered_within_service_level_count) "
        "/ sum(inbound_offered_count - short_abandoned_count), "
        "100.0 * sum(inbound_abandoned_count) / sum(inbound_offered_count), "
        "sum(average_handle_seconds * inbound_answered_count) / sum(inbound_answered_count) / 60, "
        "100.0 * sum(fcr_resolved_count) / sum(fcr_measured_count) "
        "from marts.mart_contact_center_daily",
    )
    assert 60 < service_level < 100
    assert 1 < abandonment < 20
    assert 3 < aht_minutes < 8
    assert 50 < fcr < 100


def test_scorecard_percentages_are_percentages(built):
    [outside] = first_row(
        built,
        "select count(*) from marts.mart_dq_scorecard "
        "where value_pct not between 0 and 100 or numerator_count > denominator_count",
    )
    assert outside == 0


def test_scorecard_covers_every_raw_table_and_every_checked_contact_column(built):
    rows = built.execute(
        "select distinct metric, source_table from marts.mart_dq_scorecard"
    ).fetchall()
    by_metric: dict[str, set[str]] = {}
    for metric, table in rows:
        by_metric.setdefault(metric, set()).add(table)
    checked = {
        check: {c.table for c in CONTRACTS for col in c.columns if check in col.checks}
        for check in ("mobile_phone", "email")
    }
    assert by_metric["quarantine_rate_pct"] == {c.table for c in CONTRACTS}
    assert by_metric["mandatory_filled_pct"] == {c.table for c in CONTRACTS}
    assert by_metric["valid_phone_pct"] == checked["mobile_phone"]
    assert by_metric["valid_email_pct"] == checked["email"]


@pytest.mark.parametrize(
    ("table", "column", "check", "metric"),
    [
        ("abs__clients", "mobile_phone", "mobile_phone", "valid_phone_pct"),
        ("abs__clients", "email", "email", "valid_email_pct"),
        ("contact_center__calls", "caller_phone", "mobile_phone", "valid_phone_pct"),
    ],
)
def test_scorecard_validity_recomputes_from_raw_with_the_loaders_rule(
    built, table, column, check, metric
):
    """The day with the most invalid values, recomputed in Python from the raw values."""
    business_date, value = first_row(
        built,
        "select business_date, value_pct from marts.mart_dq_scorecard "
        "where source_table = ? and metric = ? "
        "order by denominator_count - numerator_count desc, business_date limit 1",
        [table, metric],
    )
    values = pl.Series(
        [
            v
            for (v,) in built.execute(
                f"select {column} from raw.{table} where _business_date = ? "
                f"and {column} is not null",
                [business_date],
            ).fetchall()
        ],
        dtype=pl.String,
    )
    invalid = len(field_rules.failing(values, check))
    assert invalid > 0
    assert float(value) == pytest.approx(round(100 * (1 - invalid / len(values)), 2))


def test_scorecard_quarantine_rate_matches_the_load_audit(built):
    rows = built.execute(
        "select s.source_table, s.business_date, s.numerator_count, s.denominator_count, "
        "a.rejected, a.rows_read "
        "from marts.mart_dq_scorecard s join ("
        "  select table_name, business_date, sum(rows_quarantined) as rejected, "
        "  sum(rows_loaded + rows_quarantined) as rows_read from ("
        # a partition loaded again replaces its rows: only each file's latest load counts
        "    select * from audit.file_loads qualify row_number() over ("
        "      partition by table_name, business_date, file_path order by started_at desc) = 1"
        "  ) where rows_loaded > 0 or rows_quarantined > 0 group by all"
        ") a on a.table_name = s.source_table and a.business_date = s.business_date "
        "where s.metric = 'quarantine_rate_pct'"
    ).fetchall()
    assert rows
    assert [r[:2] for r in rows if (r[2], r[3]) != (r[4], r[5])] == []
    assert any(r[2] > 0 for r in rows)


def test_channel_usage_counts_every_session_and_contact(built):
    sessions, events, calls, chats = first_row(
        built,
        "select sum(interactions_count) filter (where channel_group = 'dbo'), "
        "sum(events_count), "
        "sum(interactions_count) filter (where channel like 'call_%'), "
        "sum(interactions_count) filter (where channel = 'chat') "
        "from marts.mart_channel_usage_daily",
    )
    staged = first_row(
        built,
        "select (select count(*) from staging.stg_dbo__sessions), "
        "(select count(*) from staging.stg_dbo__events e "
        " where e.session_id in (select session_id from staging.stg_dbo__sessions)), "
        "(select count(*) from staging.stg_contact_center__calls), "
        "(select count(*) from staging.stg_contact_center__chats)",
    )
    assert (sessions, events, calls, chats) == staged


def test_queue_counts_add_up_to_the_daily_counts(built):
    [mismatched] = first_row(
        built,
        "select count(*) from marts.mart_contact_center_daily d full join ("
        "  select activity_date, sum(inbound_offered_count) as offered, "
        "  sum(inbound_abandoned_count) as abandoned, "
        "  sum(answered_within_service_level_count) as within_sl, "
        "  sum(fcr_resolved_count) as fcr_resolved "
        "  from marts.mart_contact_center_queues_daily group by all"
        ") q using (activity_date) "
        "where coalesce(q.offered, 0) <> d.inbound_offered_count "
        "or coalesce(q.abandoned, 0) <> d.inbound_abandoned_count "
        "or coalesce(q.within_sl, 0) <> d.answered_within_service_level_count "
        "or coalesce(q.fcr_resolved, 0) <> d.fcr_resolved_count",
    )
    assert mismatched == 0
