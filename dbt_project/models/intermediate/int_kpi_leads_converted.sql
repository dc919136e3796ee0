-- One row per lead: an offer the app or internet bank showed to a client (offer_shown event),
-- with the application it led to, if any (the application carries the offer id).
-- Contact-centre offers are calls without a product in the extract, so they cannot be leads of
-- a product funnel; docs/warehouse.md#kpi-marts.
-- Stored, not a view: a KPI mart, the lead features and three tests read it, and each would
-- evaluate a view again (at bank-1m 2–4 s per reader, the three views' tests were 38 s of the daily
-- build's 86 s of tests).
-- Only the rows that changed since the last build are written (macros/changed_rows.sql).
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='changed_rows',
        on_schema_change='fail',
        unique_key='offer_id',
    )
}}

with

shown as (
    select
        events.offer_id,
        events.login_id,
        events.product_code,
        events.campaign_id,
        events.event_at as shown_at,
        -- Applications name the app platforms 'app'; sessions name them android and ios.
        case sessions.channel when 'web' then 'web' else 'app' end as channel
    from {{ ref('stg_dbo__events') }} as events
    left join {{ ref('stg_dbo__sessions') }} as sessions on events.session_id = sessions.session_id
    where events.event_type = 'offer_shown'
    qualify row_number() over (partition by events.offer_id order by events.event_at) = 1
),

applied as (
    select
        offer_id,
        arg_min(application_id, started_at) as application_id,
        min(started_at) as application_started_at
    from {{ ref('int_kpi_applications_stepped') }}
    where offer_id is not null
    group by offer_id
)

select
    shown.offer_id,
    shown.login_id,
    shown.product_code,
    shown.channel,
    shown.campaign_id,
    cast(date_trunc('month', shown.shown_at) as date) as lead_month_date,
    shown.shown_at,
    applied.application_id,
    applied.application_started_at,
    applied.application_id is not null as is_converted,
    -- An application can start before the first show of its offer in the extract (the show that
    -- led to it is missing: a rejected row, another channel): converted, but no time is measured.
    case
        when applied.application_started_at >= shown.shown_at
            then date_diff('second', shown.shown_at, applied.application_started_at) / 3600.0
    end as hours_to_application
from shown
left join applied on shown.offer_id = applied.offer_id
