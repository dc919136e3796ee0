-- One row per retail golden client × calendar month of the history whose end the data has
-- reached: what the client did in that month, summed once (macros/ml_client_months.sql), so the
-- point-in-time features only window over stored months. Every measure is dated by the
-- event's own date, so a month holds nothing after its end. Incremental
-- (macros/client_refresh_scope.sql): the clients of the refresh scope whose first date to
-- refresh lies before the latest stored month get their months from that date again, computed
-- from their own inputs alone (a merge, a late record of an old month, a new retail client,
-- who gets every month as in a full build: few clients); every
-- other client's months are read from the start of the latest stored month on — that month
-- again for the clients a day touches, and a month the data has just completed for every
-- client. A day that completes no month and touches no stored month reads almost nothing.
-- The scope reads:
-- depends_on: {{ ref('fct_transactions') }}
-- depends_on: {{ ref('fct_card_transactions') }}
-- depends_on: {{ ref('fct_interactions') }}
-- depends_on: {{ ref('fct_balances_daily') }}
-- depends_on: {{ ref('stg_dbo__events') }}
-- depends_on: {{ ref('dim_accounts') }}
-- depends_on: {{ ref('dim_dates') }}
-- depends_on: {{ ref('fct_contracts') }}
-- depends_on: {{ ref('int_account_months_aggregated') }}
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            "{{ create_client_refresh_scope(ml_client_month_reads()) }}",
            "{{ delete_client_rows_to_refresh('as_of_date') }}",
        ],
        post_hook="{{ drop_client_refresh_scope() }}",
    )
}}
{%- set stored_through = latest_stored_as_of_date() %}
{%- set stored_through_sql = "date '" ~ stored_through ~ "'" %}
{%- set latest_stored_month_sql = "date '" ~ stored_through[:8] ~ "01'" %}
{%- set reaching_before_latest_month %}
(
    select golden_client_id from client_refresh_scope
    where refresh_from_date < {{ latest_stored_month_sql }}
)
{%- endset %}
{%- set touching_latest_month %}
(
    select golden_client_id from client_refresh_scope
    where refresh_from_date between {{ latest_stored_month_sql }} and {{ stored_through_sql }}
)
{%- endset %}

{% if is_incremental() %}
    select
        months.*,
        {{ client_refresh_watermarks() }},
        {{ written_by_this_run() }} as _written_by
    from ({{ ml_client_months(reaching_before_latest_month) }}) as months
    {{ join_client_refresh_scope('months.golden_client_id', 'months.as_of_date') }}
    union all
    select
        months.*,
        {{ client_refresh_watermarks() }},
        {{ written_by_this_run() }} as _written_by
    from ({{ ml_client_months(
        none if latest_complete_month_end() > stored_through else touching_latest_month,
        latest_stored_month_sql
    ) }}) as months
    {{ left_join_client_refresh_scope('months.golden_client_id') }}
    where
        {{ completed_since_or_in_refresh_scope('months.as_of_date', stored_through_sql) }}
        and months.golden_client_id not in {{ reaching_before_latest_month }}
{% else %}
    select
        months.*,
        {{ client_refresh_watermarks() }},
        {{ written_by_this_run() }} as _written_by
    from ({{ ml_client_months() }}) as months
{% endif %}
