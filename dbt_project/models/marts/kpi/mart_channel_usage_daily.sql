-- Channel use per Moscow calendar day: ДБО sessions by channel and platform, and contact-centre
-- contacts by channel. Incremental by date: a build rewrites the days that new loads and
-- golden-id changes touch (macros/channel_usage_dates.sql), the others are kept.
-- depends_on: {{ ref('stg_contact_center__calls') }}
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_channel_usage_dates_to_refresh() }}",
    )
}}
{%- set dates = channel_usage_dates_to_refresh() if is_incremental() else none %}

with

crosswalk as (
    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}
),

sessions as (
    select
        sessions.session_id,
        sessions.login_id,
        sessions.device_id,
        sessions.channel,
        sessions.result,
        {{ to_moscow_date('sessions.started_at') }} as activity_date,
        -- The operating system's family: 'iOS 26.7' → iOS, 'Windows 11' → Windows.
        split_part(sessions.os, ' ', 1) as platform,
        crosswalk.golden_client_id
    from {{ ref('stg_dbo__sessions') }} as sessions
    left join crosswalk on crosswalk.record_key = 'dbo:' || sessions.login_id
    {% if dates is not none %}
        where
            -- a session's Moscow date is the UTC one or the day after: a bound the scan can skip by
            sessions.started_at
            >= timestamp '{{ dates[0] if dates else '9999-12-31' }}' - interval 1 day
            and {{ literal_in(to_moscow_date('sessions.started_at'), dates, 'date') }}
    {% endif %}
),

events as (
    select
        session_id,
        count(*) as events_count
    from {{ ref('stg_dbo__events') }}
    {% if dates is not none %}
        where session_id in (select sessions.session_id from sessions)
    {% endif %}
    group by session_id
),

dbo as (
    -- sqlfluff counts a cast of an aggregate as a simple target, out of order
    select  -- noqa: ST06
        sessions.activity_date,
        'dbo' as channel_group,
        sessions.channel,
        sessions.platform,
        count(*) as interactions_count,
        count(*) filter (where sessions.result = 'success') as successful_logins_count,
        count(*) filter (where sessions.result = 'fail') as failed_logins_count,
        count(distinct sessions.login_id) as unique_logins_count,
        count(distinct sessions.golden_client_id) as unique_clients_count,
        count(distinct sessions.device_id) as unique_devices_count,
        cast(coalesce(sum(events.events_count), 0) as bigint) as events_count
    from sessions
    left join events on sessions.session_id = events.session_id
    group by all
),

calls as (
    select
        call_date as activity_date,
        'contact_center' as channel_group,
        'call_' || direction as channel,
        'phone' as platform,
        count(*) as interactions_count,
        count(distinct golden_client_id) as unique_clients_count
    from {{ ref('int_kpi_calls_classified') }}
    {% if dates is not none %}
        where {{ literal_in('call_date', dates, 'date') }}
    {% endif %}
    group by all
),

chats as (
    select
        {{ to_moscow_date('chats.started_at') }} as activity_date,
        'contact_center' as channel_group,
        'chat' as channel,
        chats.channel as platform,
        count(*) as interactions_count,
        count(distinct coalesce(by_abs.golden_client_id, by_login.golden_client_id))
            as unique_clients_count
    from {{ ref('stg_contact_center__chats') }} as chats
    left join crosswalk as by_abs on by_abs.record_key = 'abs:' || chats.abs_client_id
    left join crosswalk as by_login on by_login.record_key = 'dbo:' || chats.login_id
    {% if dates is not none %}
        where {{ literal_in(to_moscow_date('chats.started_at'), dates, 'date') }}
    {% endif %}
    group by all
),

contacts as (
    select * from calls
    union all
    select * from chats
)

select
    activity_date,
    channel_group,
    channel,
    platform,
    interactions_count,
    successful_logins_count,
    failed_logins_count,
    unique_logins_count,
    unique_clients_count,
    unique_devices_count,
    events_count,
    {{ client_refresh_watermarks() }}
from dbo
union all
select
    activity_date,
    channel_group,
    channel,
    platform,
    interactions_count,
    null as successful_logins_count,
    null as failed_logins_count,
    null as unique_logins_count,
    unique_clients_count,
    null as unique_devices_count,
    null as events_count,
    {{ client_refresh_watermarks() }}
from contacts
