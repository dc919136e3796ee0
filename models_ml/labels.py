"""Churn labels from the warehouse (never from the simulator's truth).

A client counted at an as-of date (``ml.ml_features__churn``: a retail client holding a product)
**churns** when, within ``horizon_days`` after the as-of date, either

- they **close all products**: no retail contract that started by the end of the window is
  still open at the end of the window; or
- they **stop all activity**: they were active in the ``silence_days`` up to the as-of date and
  show no activity in the last ``silence_days`` of the window. Activity is anything the client
  does: a posting other than interest and fees, a card transaction, a successful app login, an
  inbound call, a chat or a complaint.

A label is **complete** only when the whole window lies within the data (as-of + horizon ≤ the
last posting date); incomplete rows are never used to train or evaluate.
"""

from __future__ import annotations

import duckdb
import polars as pl

from cdp.warehouse import query_frame, query_frame_by_period, temporary_table
from models_ml.feature_tables import FEATURE_ROW

# Activity days with repeats (`union all`): `active_in_window` keeps only the distinct windows
# they fall in, and making the 85 M client-days of bank-1m distinct first ran the labels' query
# out of a 6 GB DuckDB limit.
ACTIVITY_SQL = """
select golden_client_id, posting_date as activity_date
from marts.fct_transactions
where golden_client_id is not null and transaction_type not in ('interest', 'fee')
union all
select golden_client_id,
    cast(timezone('Europe/Moscow', timezone('UTC', transaction_at)) as date)
from marts.fct_card_transactions
where golden_client_id is not null and match_status not in ('declined', 'reversed')
union all
select golden_client_id, occurred_date
from marts.fct_interactions
where golden_client_id is not null
    and (interaction_type in ('call_inbound', 'chat', 'complaint')
         or (interaction_type = 'dbo_login' and not is_failed))
"""

LABELS_SQL = f"""
with
bounds as (select max(posting_date) as data_end from marts.fct_transactions),
rows as (
    select golden_client_id, as_of_date, last_activity_date,
        as_of_date + $horizon as window_end,
        as_of_date + $horizon - $silence as silence_start
    from ml.ml_features__churn
),
activity as ({ACTIVITY_SQL}),
active_in_window as (
    -- Clients with any activity in a window's last silence days, per window (one per as-of
    -- date): each activity day tagged with the few windows it falls in, then made distinct,
    -- which spills to disk. An ASOF join for the next activity after the silence start held
    -- every activity day in memory (bank-1m: this query alone needed a 6 GB limit), and a
    -- range join with the windows sorted them all.
    select distinct golden_client_id, silence_start
    from (
        select
            golden_client_id,
            unnest(list_filter(
                (select list(distinct silence_start) from rows),
                start -> activity_date > start and activity_date <= start + $silence
            )) as silence_start
        from activity
    )
),
open_at_end as (
    select rows.golden_client_id, rows.as_of_date,
        count(contracts.contract_id) filter (
            where contracts.closed_date is null or contracts.closed_date > rows.window_end
        ) as open_count
    from rows
    left join marts.fct_contracts as contracts
        on rows.golden_client_id = contracts.golden_client_id
        and contracts.client_segment = 'retail'
        and contracts.start_date <= rows.window_end
    group by all
)
select
    rows.golden_client_id,
    rows.as_of_date,
    open_at_end.open_count = 0 as has_closed_all_products,
    coalesce(rows.last_activity_date > rows.as_of_date - $silence, false)
        and active_in_window.golden_client_id is null
        as has_stopped_activity,
    rows.window_end <= bounds.data_end as is_complete
from rows
cross join bounds
left join active_in_window using (golden_client_id, silence_start)
join open_at_end using (golden_client_id, as_of_date)
"""


CHURNED = "has_closed_all_products or has_stopped_activity"
"""``is_churned``: either way of leaving within the window."""


def churn_labels(
    con: duckdb.DuckDBPyConnection, horizon_days: int, silence_days: int
) -> pl.DataFrame:
    """One row per feature row: ``is_churned`` and whether its window is complete."""
    return query_frame(
        con,
        f"select *, {CHURNED} as is_churned from ({LABELS_SQL})",
        {"horizon": horizon_days, "silence": silence_days},
    )


def labelled_features(
    con: duckdb.DuckDBPyConnection,
    horizon_days: int,
    silence_days: int,
    complete_only: bool = False,
) -> pl.DataFrame:
    """The churn feature table with ``is_churned`` and ``is_complete``, joined and sorted in
    DuckDB (in Polars the join and the sort held two more copies of the features); sorted
    because DuckDB returns rows in no fixed order and the model's early-stopping holdout is
    drawn by position, so an unsorted frame would give another model on the same data. As-of
    date first, so each part of the time split is a slice of the frame, not a copy; read one
    as-of date at a time (``query_frame_by_period``), the labels computed once before.
    ``complete_only`` keeps the rows whose label window lies in the data, all training reads
    (at bank-1m four as-of dates in ten are not)."""
    labels = f"""
        select golden_client_id, as_of_date, {CHURNED} as is_churned, is_complete
        from ({LABELS_SQL})
    """
    with temporary_table(
        con, "churn_labels", labels, {"horizon": horizon_days, "silence": silence_days}
    ):
        return query_frame_by_period(
            con,
            f"""
            select features.*, labels.is_churned, labels.is_complete
            from (select {FEATURE_ROW} from ml.ml_features__churn) as features
            join churn_labels as labels using (golden_client_id, as_of_date)
            where features.as_of_date = $period
            order by golden_client_id
            """,
            "select distinct as_of_date from churn_labels "
            f"{'where is_complete' if complete_only else ''} order by as_of_date",
        )
