-- Every record whose golden client a resolution changed (identity.crosswalk_changes), with the
-- first date of any of its rows the client tables read: the client tables rebuild both
-- clients of a change from that date, not from the start of their history
-- (macros/client_refresh_scope.sql). Most changes are records new to the golden record whose
-- rows are that day's, or that have none (an identified caller's phone, a new card holder):
-- on a month end taken in for the first time at bank-300k the earliest of 690 such dates was
-- 2026-10-02, where refreshing them from the start of their history had made every client
-- table read its inputs whole (the client states' query 2.4 → 5.8 s). Incremental: a build dates the
-- changes recorded after the latest it holds.
-- The record's rows: the facts' and the accounts' and contracts' by their record key, and the
-- ДБО events, sessions and applications of a login or АБС client, which the client tables join
-- to the crosswalk themselves. UTC dates where the readers count Moscow dates: never later.
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja loops over the inputs)
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='append',
    )
}}

with

changes as (
    select
        record_key,
        previous_golden_client_id,
        golden_client_id,
        run_at
    from {{ source('identity', 'crosswalk_changes') }}
    {% if is_incremental() %}
        where run_at > (
            select coalesce(max(kept.run_at), timestamp '0001-01-01') from {{ this }} as kept
        )
    {% endif %}
),

changed_logins as (
    select substr(record_key, 5) as login_id
    from changes
    where record_key like 'dbo:%'
),

changed_abs_clients as (
    select substr(record_key, 5) as abs_client_id
    from changes
    where record_key like 'abs:%'
),

changed_applications as (
    -- An application belongs to its login and, once a step names one, to its АБС client, from
    -- its first step on (as int_kpi_applications_stepped, read here from staging alone).
    select
        application_id,
        max(login_id) as login_id,
        max(abs_client_id) as abs_client_id,
        min(step_at) as first_step_at
    from {{ ref('stg_dbo__applications') }}
    where application_id in (
        select steps.application_id
        from {{ ref('stg_dbo__applications') }} as steps
        where
            steps.login_id in (select changed_logins.login_id from changed_logins)
            or steps.abs_client_id in (
                select changed_abs_clients.abs_client_id from changed_abs_clients
            )
    )
    group by application_id
),

record_dates as (
    {%- for fact, date_column in [
        ('fct_transactions', 'posting_date'),
        ('fct_balances_daily', 'balance_date'),
        ('fct_interactions', 'occurred_date'),
    ] %}
    select
        client_record_key as record_key,
        {{ date_column }} as row_date
    from {{ ref(fact) }}
    where client_record_key in (select changes.record_key from changes)
    union all
    {%- endfor %}
    select
        client_record_key as record_key,
        {{ card_operation_first_date() }} as row_date
    from {{ ref('fct_card_transactions') }}
    where client_record_key in (select changes.record_key from changes)
    {%- for held, start_column in [('dim_accounts', 'opened_date'), ('fct_contracts', 'start_date')] %}
    union all
    select
        client_record_key as record_key,
        least({{ start_column }}, coalesce(closed_date, {{ start_column }})) as row_date
    from {{ ref(held) }}
    where client_record_key in (select changes.record_key from changes)
    {%- endfor %}
    {%- for dbo_model, time_column in [('stg_dbo__events', 'event_at'), ('stg_dbo__sessions', 'started_at')] %}
    union all
    select
        'dbo:' || login_id as record_key,
        cast({{ time_column }} as date) as row_date
    from {{ ref(dbo_model) }}
    where login_id in (select changed_logins.login_id from changed_logins)
    {%- endfor %}
    {%- for prefix, id_column in [('dbo', 'login_id'), ('abs', 'abs_client_id')] %}
    union all
    select
        '{{ prefix }}:' || {{ id_column }} as record_key,
        cast(first_step_at as date) as row_date
    from changed_applications
    where {{ id_column }} is not null
    {%- endfor %}
),

first_dates as (
    select
        record_key,
        min(row_date) as first_row_date
    from record_dates
    group by record_key
)

select
    changes.record_key,
    changes.previous_golden_client_id,
    changes.golden_client_id,
    changes.run_at,
    first_dates.first_row_date
from changes
left join first_dates on changes.record_key = first_dates.record_key
