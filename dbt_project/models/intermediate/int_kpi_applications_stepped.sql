-- One row per ДБО application with the time it reached each funnel step, its golden client, the
-- offer it came from, the follow-up call that reached the client and the SLA and outcome rules.
-- Thresholds are dbt vars (dbt_project.yml, KPI block); docs/warehouse.md#kpi-marts.
-- Stored, not a view: the leads, two KPI marts, the lead features and eight tests read it, and
-- each would evaluate a view again (at bank-1m 2–4 s per reader, the three views' tests were 38 s
-- of the daily build's 86 s of tests).
-- Only the rows that changed since the last build are written (macros/changed_rows.sql).
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='changed_rows',
        on_schema_change='fail',
        unique_key='application_id',
    )
}}

with

steps as (
    select * from {{ ref('stg_dbo__applications') }}
),

crosswalk as (
    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}
),

as_of as (
    -- The extracts' horizon: nothing after it can have happened yet.
    select max(step_at) as as_of_at from steps
),

applications as (
    select
        application_id,
        arg_min(product_code, step_at) as product_code,
        arg_min(channel, step_at) as channel,
        max(login_id) as login_id,
        max(abs_client_id) as abs_client_id,
        max(offer_id) as offer_id,
        max(campaign_id) as campaign_id,
        max(decline_reason) as decline_reason,
        min(step_at) filter (where step = 'started') as started_at,
        min(step_at) filter (where step = 'filled') as filled_at,
        min(step_at) filter (where step = 'submitted') as submitted_at,
        min(step_at) filter (where step = 'approved') as approved_at,
        min(step_at) filter (where step = 'declined') as declined_at,
        min(step_at) filter (where step = 'signed') as signed_at,
        min(step_at) filter (where step = 'issued') as issued_at,
        min(step_at) as first_step_at,
        max(step_at) as last_step_at
    from steps
    group by application_id
),

identified as (
    -- Office and contact-centre applications carry the АБС client, online ones the login.
    select
        a.*,
        coalesce(by_abs.golden_client_id, by_login.golden_client_id) as golden_client_id
    from applications as a
    left join crosswalk as by_abs on by_abs.record_key = 'abs:' || a.abs_client_id
    left join crosswalk as by_login on by_login.record_key = 'dbo:' || a.login_id
),

next_start as (
    select
        *,
        lead(started_at) over (
            partition by golden_client_id order by started_at, application_id
        ) as next_application_started_at
    from identified
),

follow_up_calls as (
    -- Reached outbound follow-ups: an unreached call identifies nobody, so it cannot be linked.
    select
        calls.started_at,
        crosswalk.golden_client_id
    from {{ ref('stg_contact_center__calls') }} as calls
    inner join crosswalk on crosswalk.record_key = 'abs:' || calls.abs_client_id
    where
        calls.direction = 'outbound'
        and calls.topic = 'application_follow_up'
        and calls.answered_at is not null
),

followed_up as (
    -- A follow-up call belongs to the client's latest application started before it.
    select
        a.application_id,
        min(c.started_at) as follow_up_call_at
    from next_start as a
    inner join follow_up_calls as c
        on
            a.golden_client_id = c.golden_client_id
            and a.started_at <= c.started_at
            and (a.next_application_started_at is null or a.next_application_started_at > c.started_at)
    group by a.application_id
),

timed as (
    select
        a.*,
        f.follow_up_call_at,
        as_of.as_of_at,
        coalesce(a.approved_at, a.declined_at) as decided_at,
        date_diff('second', a.submitted_at, coalesce(a.approved_at, a.declined_at)) / 3600.0
            as decision_hours,
        date_diff('second', a.started_at, f.follow_up_call_at) / 3600.0 as follow_up_hours,
        a.last_step_at < as_of.as_of_at - to_days({{ var('kpi_application_stale_days') }})
            as is_stale
    from next_start as a
    cross join as_of
    left join followed_up as f on a.application_id = f.application_id
)

select
    application_id,
    product_code,
    channel,
    login_id,
    abs_client_id,
    golden_client_id,
    offer_id,
    campaign_id,
    -- Its start may not have arrived yet (a late file) or predate the extracts' history: the
    -- month of its first step received, until the start comes and the row is written again.
    cast(date_trunc('month', coalesce(started_at, first_step_at)) as date) as application_month_date,
    started_at,
    filled_at,
    submitted_at,
    approved_at,
    declined_at,
    decided_at,
    signed_at,
    issued_at,
    follow_up_call_at,
    decision_hours,
    follow_up_hours,
    decline_reason,
    case
        when issued_at is not null then 'issued'
        when declined_at is not null then 'declined'
        when not is_stale then 'in_progress'
        else 'lost'
    end as outcome,
    case
        when issued_at is not null or declined_at is not null or not is_stale then null
        when signed_at is not null then 'signed_not_issued'
        when approved_at is not null then 'approved_not_signed'
        when submitted_at is not null then 'submitted_no_decision'
        when filled_at is not null then 'filled_not_submitted'
        else 'started_not_filled'
    end as loss_reason,
    -- SLA flags: null where the SLA does not apply or its deadline has not passed yet.
    case
        when submitted_at is null then null
        when decided_at is not null
            then decision_hours <= {{ var('kpi_application_decision_sla_hours') }}
        when as_of_at > submitted_at + to_hours({{ var('kpi_application_decision_sla_hours') }})
            then false
    end as is_decision_within_sla,
    case
        when submitted_at is null then null
        when follow_up_call_at is not null
            then follow_up_hours <= {{ var('kpi_application_callback_sla_hours') }}
        when as_of_at > started_at + to_hours({{ var('kpi_application_callback_sla_hours') }})
            then false
    end as is_follow_up_within_sla
from timed
