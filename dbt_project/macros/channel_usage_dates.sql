{#
  mart_channel_usage_daily is incremental by Moscow date (docs/warehouse.md, "Incremental
  client tables"): a day's row counts change only when that day's sessions, in-app events,
  calls or chats are delivered again or late, or when one of its logins or callers now belongs
  to another golden client (its distinct clients). A build rewrites those dates whole and keeps
  the others; the watermarks are the client tables' (`_loads_through`, `_identity_through`).
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the model lints what it renders)

{#
  The dates to rebuild, sorted ISO strings: the Moscow dates of the sessions, calls and chats
  of the loads after the watermark, of the sessions whose events those loads hold (an event
  counts on its session's date), and of every session, call and chat of a record that changed
  golden client since the identity watermark (identity.crosswalk_changes).
#}
{% macro channel_usage_dates_to_refresh() -%}
{%- set loads = loads_after_watermark() -%}
{%- set query -%}
with

moved_records as (
    select record_key
    from {{ source('identity', 'crosswalk_changes') }}
    where run_at > {{ client_watermark('_identity_through') }}
),

sessions as (
    select
        session_id,
        login_id,
        started_at,
        _load_id
    from {{ ref('stg_dbo__sessions') }}
),

touched as (
    -- One part per reason, each with its own filter: joined by `or`, no filter reached the
    -- scans (0.8 s at bank-300k for a build with nothing new).
    select started_at from sessions
    where {{ load_id_in('_load_id', loads) }}
    union all
    select started_at from sessions
    where session_id in (
        select session_id from {{ ref('stg_dbo__events') }}
        where {{ load_id_in('_load_id', loads) }}
    )
    union all
    select sessions.started_at from sessions
    inner join moved_records on moved_records.record_key = 'dbo:' || sessions.login_id
    {%- for source_name, record_prefixes in [
        ('stg_contact_center__calls', {'abs': 'abs_client_id'}),
        ('stg_contact_center__chats', {'abs': 'abs_client_id', 'dbo': 'login_id'}),
    ] %}
    union all
    select started_at from {{ ref(source_name) }}
    where {{ load_id_in('_load_id', loads) }}
    {%- for prefix, id_column in record_prefixes.items() %}
    union all
    select contacts.started_at from {{ ref(source_name) }} as contacts
    inner join moved_records
        on moved_records.record_key = '{{ prefix }}:' || contacts.{{ id_column }}
    {%- endfor %}
    {%- endfor %}
)

select distinct {{ to_moscow_date('started_at') }} as activity_date
from touched
where started_at is not null
{%- endset -%}
{{ return(run_query(query).columns[0].values() | map('string') | sort if execute else []) }}
{%- endmacro %}

{#
  Pre-hook: the stored rows of the dates to rebuild deleted, every channel's, so a channel that
  no longer occurs on such a day leaves no row behind (the model inserts the rest again).
#}
{% macro delete_channel_usage_dates_to_refresh() -%}
{%- if is_incremental() -%}
delete from {{ this }}
where {{ literal_in('activity_date', channel_usage_dates_to_refresh(), 'date') }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
