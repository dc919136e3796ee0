-- One row per open lead × as-of date (every day of the history). A lead is an ДБО application
-- (every channel) or an offer shown in the app or internet bank; the as-of moment is the end of
-- the as-of date (UTC midnight after it), and only steps, calls and shows before it are read.
-- Funnel steps come from int_kpi_applications_stepped, shown offers from
-- int_kpi_leads_converted, the client's profile from ml_features__churn (latest month end
-- before the as-of date). Rules: docs/ml.md#lead-priority. Incremental: a build adds the new
-- as-of dates for every open lead and computes the stored ones again only for the clients, and
-- from the day before the date, that new loads (facts, applications, app events and sessions),
-- golden-id changes and rewritten client profiles touch (macros/client_refresh_scope.sql). The
-- scope reads:
-- depends_on: {{ ref('fct_transactions') }}
-- depends_on: {{ ref('fct_card_transactions') }}
-- depends_on: {{ ref('fct_interactions') }}
-- depends_on: {{ ref('stg_dbo__applications') }}
-- depends_on: {{ ref('stg_dbo__events') }}
-- depends_on: {{ ref('stg_dbo__sessions') }}
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
-- The profiles' as-of join below is kept an as-of join: DuckDB otherwise plans it as a nested
-- loop when it expects at most 64 client months on its left, and in the daily build it
-- expected 12 where an increment holds 158 k (bank-300k: 2.1 s for the model's query instead
-- of 0.6 s, in five of eight daily builds; creating the scope before the model's transaction
-- did not change the estimate).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            "{{ create_client_refresh_scope(
                ['applications', 'app_events', 'app_sessions', 'churn_profiles']
            ) }}",
            "{{ delete_client_rows_to_refresh('as_of_date', days_before=1) }}",
            "set asof_loop_join_threshold = 0",
        ],
        post_hook=["reset asof_loop_join_threshold", "{{ drop_client_refresh_scope() }}"],
    )
}}
{%- set stored_through = "date '" ~ latest_stored_as_of_date() ~ "'" %}

with

applications as (

    select * from {{ ref('int_kpi_applications_stepped') }}

),

crosswalk as (

    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}

),

leads as (

    select
        'application:' || application_id as lead_id,
        'application' as lead_kind,
        application_id,
        offer_id,
        golden_client_id,
        product_code,
        channel,
        started_at as lead_started_at,
        filled_at,
        submitted_at,
        approved_at,
        signed_at,
        coalesce(issued_at, declined_at) as closed_at,
        follow_up_call_at,
        -- Never open after kpi_application_stale_days past its last step (the stale rule
        -- below): with closed_at, which leads an incremental build reads.
        greatest(started_at, filled_at, submitted_at, approved_at, signed_at)
        + to_days({{ var('kpi_application_stale_days') }}) as stale_from_at
    from applications
    where golden_client_id is not null

    union all

    -- An offer stays a lead until an application carrying it starts (the application is then
    -- the lead) or until ml_lead_offer_open_days have passed since it was shown.
    select
        'offer:' || offers.offer_id as lead_id,
        'offer' as lead_kind,
        null as application_id,
        offers.offer_id,
        crosswalk.golden_client_id,
        offers.product_code,
        offers.channel,
        offers.shown_at as lead_started_at,
        null as filled_at,
        null as submitted_at,
        null as approved_at,
        null as signed_at,
        -- least() skips a null: no application, the offer's days run out.
        least(
            offers.application_started_at,
            offers.shown_at + to_days({{ var('ml_lead_offer_open_days') }})
        ) as closed_at,
        null as follow_up_call_at,
        null as stale_from_at
    from {{ ref('int_kpi_leads_converted') }} as offers
    inner join crosswalk on crosswalk.record_key = 'dbo:' || offers.login_id

),

as_of_dates as (

    -- From the day after the first month end with client profiles (ml_features__churn):
    -- earlier leads would have none, a population the scores never see.
    select
        cast(calendar.day_start_at as date) as as_of_date,
        calendar.day_start_at + interval 1 day as as_of_at
    from range(
        (select min(as_of_date) + 1 from {{ ref('ml_features__churn') }}),
        (select cast(max(lead_started_at) as date) from leads) + 1,
        interval 1 day
    ) as calendar (day_start_at)

),

as_of_dates_to_build as (

    select * from as_of_dates
    {% if is_incremental() %}
        where
            as_of_date > {{ stored_through }}
            or as_of_date >= (
                select min(scope.refresh_from_date) - 1 from client_refresh_scope as scope
            )
    {% endif %}

),

leads_to_build as (

    select * from leads
    {% if is_incremental() %}
        -- open at a new as-of moment (the end of a day after the stored ones), or at the end of
        -- a day the scope rebuilds for its client (from the day before its date)
        -- (least() skips a null: an application never closed is open until it goes stale)
        where
            least(closed_at, stale_from_at) >= cast({{ stored_through }} + 2 as timestamp)
            or exists (
                select 1 from client_refresh_scope as scope
                where
                    scope.golden_client_id = leads.golden_client_id
                    and least(leads.closed_at, leads.stale_from_at)
                    >= cast(scope.refresh_from_date as timestamp)
            )
    {% endif %}

),

snapshots as (

    select
        leads.*,
        as_of_dates.as_of_date,
        as_of_dates.as_of_at,
        case
            when leads.lead_kind = 'offer' then 0
            when leads.signed_at < as_of_dates.as_of_at then 5
            when leads.approved_at < as_of_dates.as_of_at then 4
            when leads.submitted_at < as_of_dates.as_of_at then 3
            when leads.filled_at < as_of_dates.as_of_at then 2
            else 1
        end as step_rank,
        -- Steps are reached in funnel order: the latest step before the as-of moment.
        case
            when leads.signed_at < as_of_dates.as_of_at then leads.signed_at
            when leads.approved_at < as_of_dates.as_of_at then leads.approved_at
            when leads.submitted_at < as_of_dates.as_of_at then leads.submitted_at
            when leads.filled_at < as_of_dates.as_of_at then leads.filled_at
            else leads.lead_started_at
        end as last_step_at
    from leads_to_build as leads
    inner join as_of_dates_to_build as as_of_dates
        on
            leads.lead_started_at < as_of_dates.as_of_at
            -- (not bounded by stale_from_at too: with two inequalities DuckDB plans a range join
            -- that ran out of the build's 4 GB at bank-1m; this one filters the pairs after it)
            and (leads.closed_at is null or leads.closed_at >= as_of_dates.as_of_at)
    {% if is_incremental() %}
        {{ left_join_client_refresh_scope('leads.golden_client_id') }}
        where {{ completed_since_or_in_refresh_scope(
            'as_of_dates.as_of_date', stored_through, days_before=1
        ) }}
    {% endif %}

),

open_leads as (

    -- An application without a step for kpi_application_stale_days is lost, as in the KPI marts.
    -- The client's profile is read at the month end strictly before the as-of date: on a month
    -- end itself the month's profile would count the lead's own session (its login), unlike on
    -- every other day.
    select
        *,
        last_day(as_of_date - interval 1 month) as profile_month_end
    from snapshots
    where
        lead_kind = 'offer'
        or last_step_at >= as_of_at - to_days({{ var('kpi_application_stale_days') }})

),

history as (

    -- The client's other applications started before the as-of moment and how they ended by it.
    select
        open_leads.lead_id,
        open_leads.as_of_date,
        count(previous.application_id) as previous_application_count,
        count(previous.application_id) filter (
            where previous.issued_at < open_leads.as_of_at
        ) as previous_issued_count,
        count(previous.application_id) filter (
            where previous.declined_at < open_leads.as_of_at
        ) as previous_declined_count
    from open_leads
    left join applications as previous
        on
            open_leads.golden_client_id = previous.golden_client_id
            and open_leads.as_of_at > previous.started_at
            and open_leads.application_id is distinct from previous.application_id
    group by open_leads.lead_id, open_leads.as_of_date

),

profile_keys as (

    -- Client profiles exist at month ends only, so every as-of date of a month shares its
    -- profile month end, and the as-of join below runs once per client and month, not per lead
    -- and day (bank-1m: 2.5 M keys instead of 16 M lead-days).
    select distinct
        golden_client_id,
        profile_month_end
    from open_leads

),

these_profiles as (

    -- The profiles of these clients only: DuckDB sorts the right side of an as-of join whole,
    -- and an increment's few thousand clients sorted 10 M profiles at bank-1m (9 s).
    select
        profiles.golden_client_id,
        profiles.as_of_date,
        profiles.products_held_count,
        profiles.has_loan,
        profiles.has_deposit,
        profiles.tenure_days,
        profiles.salary_rub_previous_3_avg,
        profiles.inflow_rub_previous_3_avg,
        profiles.balance_rub_month_end,
        profiles.login_count_month,
        profiles.days_since_last_activity
    from {{ ref('ml_features__churn') }} as profiles
    where profiles.golden_client_id in (select profile_keys.golden_client_id from profile_keys)

),

client_profile as (

    select
        profile_keys.golden_client_id,
        profile_keys.profile_month_end,
        churn.products_held_count,
        churn.has_loan,
        churn.has_deposit,
        churn.tenure_days,
        churn.salary_rub_previous_3_avg,
        churn.inflow_rub_previous_3_avg,
        churn.balance_rub_month_end,
        churn.login_count_month,
        churn.days_since_last_activity
    from profile_keys
    -- The client's latest profile up to that month end: one who held no product then keeps
    -- the profile of the last month end with one, as the per-day join did.
    asof left join these_profiles as churn
        on
            profile_keys.golden_client_id = churn.golden_client_id
            and profile_keys.profile_month_end >= churn.as_of_date

)

select
    open_leads.lead_id,
    open_leads.lead_kind,
    open_leads.application_id,
    open_leads.offer_id,
    open_leads.golden_client_id,
    open_leads.as_of_date,
    open_leads.product_code,
    open_leads.channel,
    open_leads.lead_started_at,
    open_leads.lead_started_at
    + to_hours({{ var('kpi_application_callback_sla_hours') }}) as callback_due_at,
    open_leads.step_rank,
    open_leads.offer_id is not null as is_from_offer,
    date_diff('second', open_leads.lead_started_at, open_leads.as_of_at) / 3600.0
        as hours_since_lead_start,
    date_diff('second', open_leads.last_step_at, open_leads.as_of_at) / 3600.0
        as hours_since_last_step,
    coalesce(open_leads.follow_up_call_at < open_leads.as_of_at, false) as has_follow_up_call,
    case
        when open_leads.follow_up_call_at < open_leads.as_of_at
            then
                date_diff('second', open_leads.lead_started_at, open_leads.follow_up_call_at)
                / 3600.0
    end as follow_up_hours,
    last_day(open_leads.as_of_date) - open_leads.as_of_date as days_to_month_end,
    history.previous_application_count,
    history.previous_issued_count,
    history.previous_declined_count,
    client_profile.products_held_count,
    client_profile.has_loan,
    client_profile.has_deposit,
    client_profile.tenure_days,
    client_profile.salary_rub_previous_3_avg,
    client_profile.inflow_rub_previous_3_avg,
    client_profile.balance_rub_month_end,
    client_profile.login_count_month,
    client_profile.days_since_last_activity,
    {{ client_refresh_watermarks() }},
    {{ written_by_this_run() }} as _written_by
from open_leads
inner join history
    on
        open_leads.lead_id = history.lead_id
        and open_leads.as_of_date = history.as_of_date
inner join client_profile
    on
        open_leads.golden_client_id = client_profile.golden_client_id
        and open_leads.profile_month_end = client_profile.profile_month_end
-- Not stored in as-of order, unlike the other feature tables: sorting its 16 M wide rows ran out
-- of the build's 4 GB at bank-1m (DuckDB's sort did not spill enough on two threads; docs/ml.md).
