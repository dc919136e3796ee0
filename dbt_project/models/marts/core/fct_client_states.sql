-- The measures the segment rules read, per golden client at each as-of date: every month end of
-- the data and the warehouse's business date (the latest business date loaded, never
-- current_date). Evaluating at month ends gives real segment history on the first build; the
-- windows are the same at every as-of date (docs/warehouse.md, "Client 360 and segments"); the
-- rules themselves are macros/client_states.sql. Incremental: a build computes the new business
-- date for every client and the month ends again only for the clients, and from the date, that
-- new loads, golden-id merges or splits and changed tenures touch
-- (macros/client_refresh_scope.sql); a row written again with the same values keeps its stamps
-- (macros/client_states.sql). The scope reads these in its pre-hook:
-- depends_on: {{ ref('fct_card_transactions') }}
-- depends_on: {{ ref('fct_interactions') }}
-- depends_on: {{ ref('fct_balances_daily') }}
-- and the increment's business date reads the accounts' latest balances:
-- depends_on: {{ ref('int_account_last_balances_tracked') }}
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='append',
        pre_hook=[
            "{{ create_client_refresh_scope(['balances', 'account_records', 'tenure']) }}",
            "{{ keep_replaced_client_states() }}",
            "{{ delete_client_rows_to_refresh('as_of_date') }}",
            "{{ delete_client_states_of_past_business_dates() }}",
        ],
        post_hook=[
            "{{ mark_current_client_states() }}",
            "{{ restamp_unchanged_client_states() }}",
            "{{ drop_client_refresh_scope() }}",
        ],
    )
}}
{#-
  An incremental build computes the month ends again only for the clients of its refresh scope
  whose first date to refresh is on or before the last month end (most clients' first date is
  the business date itself), and only the month ends from the earliest such date on.
#}
{%- set last_month_end %}
(select max(as_of_date) from as_of_dates where as_of_date < (select as_of_date from business_date))
{%- endset %}
{%- set clients_to_refresh_at_month_ends %}
(
    select
        golden_client_id,
        refresh_from_date
    from client_refresh_scope
    where refresh_from_date <= {{ last_month_end }}
)
{%- endset %}
{%- set month_ends_to_refresh %}
(
    select as_of_date from as_of_dates
    where
        as_of_date <= {{ last_month_end }}
        and as_of_date >= (select min(refresh_from_date) from client_refresh_scope)
)
{%- endset %}

{%- set date_ctes %}
business_date as (
    select
        {{ warehouse_business_date() }} as as_of_date,
        -- The first month end whose 90-day window lies inside the data: earlier ones would
        -- count every client dormant.
        (select min(posting_date) from {{ ref('fct_transactions') }}) + 89 as first_as_of_date
),

as_of_dates as (
    select dates.date_day as as_of_date
    from {{ ref('dim_dates') }} as dates
    cross join business_date
    where
        dates.date_day = dates.month_end_date
        and dates.date_day < business_date.as_of_date
        and dates.date_day >= business_date.first_as_of_date
    union
    select business_date.as_of_date from business_date
)
{%- endset %}
with
{{ date_ctes }}

{% if is_incremental() %}
    select * from ({{ client_states_at(
        '(select as_of_date from business_date)', business_date_only=true
    ) }}) as current_states
    union all
    select refreshed.*
    from ({{ client_states_at(month_ends_to_refresh, clients_to_refresh_at_month_ends) }}) as refreshed
    {{ join_client_refresh_scope(
        'refreshed.golden_client_id', 'refreshed.as_of_date', clients_to_refresh_at_month_ends
    ) }}
{% else %}
    {#- the as-of dates as literals, for the 90-day sums (macros/client_states.sql) #}
    {%- set as_of_dates_query %}
    with {{ date_ctes }}
    select cast(as_of_date as varchar) from as_of_dates where as_of_date is not null order by 1
    {%- endset %}
    {%- set as_of_date_list = run_query(as_of_dates_query).columns[0].values() if execute else [] %}
    select * from ({{ client_states_at('as_of_dates', as_of_date_list=as_of_date_list) }}) as states
{% endif %}
