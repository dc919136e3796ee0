-- Client KPIs per day over the history, for BI. A client is active on a day when they made an
-- operation within the 90 days ending that day (the lifecycle rule's window). Each operation
-- day keeps its client active for 90 days; overlapping windows merge into stretches, so the
-- daily counts come from stretch starts and ends, not from a client × day table. Incremental:
-- a build computes the days from the first one that may have changed and continues the stored
-- active base (macros/kpi_daily_days.sql); the days before are kept.
-- depends_on: {{ ref('fct_card_transactions') }}
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        unique_key='date_day',
        on_schema_change='fail',
    )
}}
{%- set business_date %}(select max(as_of_date) from {{ ref('mart_client_360') }}){% endset %}
{#- The first day whose 90-day window lies inside the data: before it the active base is still
    filling up, so the mart starts there. #}
{%- set first_full_date %}(select min(posting_date) + 89 from {{ ref('fct_transactions') }}){% endset %}
{%- set new_clients_by_day %}
select
    client_since_date as date_day,
    count(*) as new_clients_count
from {{ ref('mart_client_360') }}
group by client_since_date
{%- endset %}
{%- set from_day = kpi_daily_recompute_from(first_full_date, business_date, new_clients_by_day)
    if is_incremental() else none %}
{#- Every day from the first one that may differ: a day of 1900 when all are computed. #}
{%- set from_day_sql = "date '" ~ (from_day or '1900-01-01') ~ "'" %}
{%- set stored_active_base = (
    '(select stored.active_clients_count from ' ~ this ~ ' as stored where stored.date_day = '
    ~ from_day_sql ~ ' - 1)'
) if from_day else '0' %}

with

bounds as (
    select
        {{ business_date }} as business_date,
        {{ first_full_date }} as first_full_date
),

operation_days as (
    -- One window, both neighbours: an operation day more than 90 days after the client's
    -- previous one starts a stretch; one more than 90 days before the next one (or the last)
    -- ends it. (A running count of stretch starts and a group by stretch cost a second window
    -- and an aggregation over the same rows.)
    select
        activity_date,
        coalesce(
            activity_date
            - lag(activity_date) over by_client
            > 90,
            true
        ) as starts_stretch,
        coalesce(
            lead(activity_date) over by_client
            - activity_date
            > 90,
            true
        ) as ends_stretch
    -- The client days read where they are needed, not as a CTE read twice, which DuckDB would
    -- materialize with every column.
    from {{ ref('fct_client_activity_days') }}
    where
        operations_count > 0
        -- every stretch start and end on or after the first day computed: an operation day's
        -- end counts 90 days later, its start needs the day before it within 90 days
        and activity_date >= {{ from_day_sql }} - 91
    window by_client as (partition by golden_client_id order by activity_date)
),

active_changes as (
    -- Active from a stretch's first operation to 89 days after its last one, both included.
    select
        activity_date as change_date,
        count(*) as became_active_count,
        0 as churned_count
    from operation_days
    where starts_stretch
    group by activity_date
    union all
    -- Churned: the first day without an operation in the last 90 days.
    select
        activity_date + 90 as change_date,
        0 as became_active_count,
        count(*) as churned_count
    from operation_days
    where ends_stretch
    group by activity_date + 90
),

calendar as (
    select dates.date_day
    from {{ ref('dim_dates') }} as dates
    cross join bounds
    where
        dates.date_day
        between greatest({{ from_day_sql }}, bounds.first_full_date - 89) and bounds.business_date
),

active_daily as (
    select
        calendar.date_day,
        -- Counts as BIGINT: a sum of counts is a HUGEINT, which Parquet (the serving copy)
        -- cannot hold and writes as a double.
        cast(coalesce(sum(active_changes.churned_count), 0) as bigint) as churned_count,
        cast(sum(
            coalesce(sum(active_changes.became_active_count), 0)
            - coalesce(sum(active_changes.churned_count), 0)
        ) over (order by calendar.date_day) as bigint)
        -- continued from the stored active base of the day before the first day computed
        + {{ stored_active_base }} as active_clients_count
    from calendar
    left join active_changes on calendar.date_day = active_changes.change_date
    group by calendar.date_day
    {% if from_day %}
        -- the stored 30 days before, which the retention's windows read
        union all
        select
            date_day,
            churned_count,
            active_clients_count
        from {{ this }}
        where date_day between {{ from_day_sql }} - 30 and {{ from_day_sql }} - 1
    {% endif %}
),

new_clients as (
    {{ new_clients_by_day }}
),

money as (
    -- sqlfluff counts a cast of an aggregate as a simple target, out of order
    select  -- noqa: ST06
        activity_date as date_day,
        sum(fee_rub) as fee_income_rub,
        sum(interest_paid_rub) as interest_expense_rub,
        cast(sum(complaints_count) as bigint) as complaints_count
    from {{ ref('fct_client_activity_days') }}
    where activity_date >= {{ from_day_sql }}
    group by activity_date
),

surveys as (
    select
        occurred_date as date_day,
        count(*) filter (where interaction_type = 'survey_nps') as nps_responses_count,
        count(*) filter (where interaction_type = 'survey_nps' and score >= 9) as promoters_count,
        count(*) filter (where interaction_type = 'survey_nps' and score <= 6) as detractors_count,
        count(*) filter (where interaction_type = 'survey_csat') as csat_responses_count,
        avg(score) filter (where interaction_type = 'survey_csat') as csat_average_score,
        count(*) filter (
            where
            interaction_type = 'survey_csat'
            and score >= {{ var('kpi_csat_satisfied_min_score') }}
        ) as csat_satisfied_count
    from {{ ref('fct_interactions') }}
    where
        interaction_type in ('survey_nps', 'survey_csat')
        and occurred_date >= {{ from_day_sql }}
    group by occurred_date
),

windows as (
    select
        active_daily.date_day,
        active_daily.active_clients_count,
        active_daily.churned_count,
        lag(active_daily.active_clients_count) over (order by active_daily.date_day)
            as active_clients_previous_day_count,
        lag(active_daily.active_clients_count, 30) over (order by active_daily.date_day)
            as active_clients_30d_ago_count,
        sum(active_daily.churned_count) over (
            order by active_daily.date_day rows between 29 preceding and current row
        ) as churned_30d_count
    from active_daily
)

select
    windows.date_day,
    windows.active_clients_count,
    coalesce(new_clients.new_clients_count, 0) as new_clients_count,
    windows.churned_count,
    {{ kpi_pct('windows.churned_count', 'windows.active_clients_previous_day_count') }}
        as churn_rate_pct,
    -- Of the clients active 30 days ago, the share that has not left the active base since
    -- (a stretch lasts at least 90 days, so whoever churned in the last 30 days was active then).
    {{ kpi_pct(
        'windows.active_clients_30d_ago_count - windows.churned_30d_count',
        'windows.active_clients_30d_ago_count'
    ) }} as retention_30d_pct,
    cast(coalesce(money.fee_income_rub, 0) as decimal(18, 2)) as fee_income_rub,
    cast(coalesce(money.interest_expense_rub, 0) as decimal(18, 2)) as interest_expense_rub,
    cast(
        coalesce(money.fee_income_rub, 0) - coalesce(money.interest_expense_rub, 0)
        as decimal(18, 2)
    ) as revenue_proxy_rub,
    cast(
        (coalesce(money.fee_income_rub, 0) - coalesce(money.interest_expense_rub, 0))
        / nullif(windows.active_clients_count, 0)
        as decimal(18, 4)
    ) as revenue_proxy_per_active_client_rub,
    coalesce(surveys.nps_responses_count, 0) as nps_responses_count,
    {{ kpi_pct('surveys.promoters_count - surveys.detractors_count', 'surveys.nps_responses_count') }}
        as nps,
    coalesce(surveys.csat_responses_count, 0) as csat_responses_count,
    cast(round(surveys.csat_average_score, 2) as decimal(4, 2)) as csat_average_score,
    {{ kpi_pct('surveys.csat_satisfied_count', 'surveys.csat_responses_count') }}
        as csat_satisfied_pct,
    coalesce(money.complaints_count, 0) as complaints_count,
    cast(
        1000.0 * coalesce(money.complaints_count, 0) / nullif(windows.active_clients_count, 0)
        as decimal(10, 4)
    ) as complaints_per_1000_active_clients,
    {{ client_refresh_watermarks() }}
from windows
left join new_clients on windows.date_day = new_clients.date_day
left join money on windows.date_day = money.date_day
left join surveys on windows.date_day = surveys.date_day
cross join bounds
where
    windows.date_day >= bounds.first_full_date
    and windows.date_day >= {{ from_day_sql }}
