-- One row per retail golden client holding a product × month-end as-of date. Windows over the
-- stored client months (ml_features__client_months) and the contracts as they stood on the
-- as-of date: nothing dated after it is read. Incremental: a day that completes no month
-- windows again only the clients of the refresh scope whose first date to refresh is a stored
-- as-of date or earlier (a late file, a merge: most clients' is the business date), and a day
-- that completes one adds it for every client (macros/client_refresh_scope.sql, docs/ml.md).
-- The scope reads:
-- depends_on: {{ ref('fct_transactions') }}
-- depends_on: {{ ref('fct_card_transactions') }}
-- depends_on: {{ ref('fct_interactions') }}
-- depends_on: {{ ref('fct_balances_daily') }}
-- depends_on: {{ ref('stg_dbo__events') }}
-- depends_on: {{ ref('dim_accounts') }}
-- depends_on: {{ ref('dim_dates') }}
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            "{{ create_client_refresh_scope(ml_feature_reads()) }}",
            "{{ delete_client_rows_to_refresh('as_of_date') }}",
        ],
        post_hook="{{ drop_client_refresh_scope() }}",
    )
}}
{%- set stored_through = latest_stored_as_of_date() %}
{%- set stored_through_sql = "date '" ~ stored_through ~ "'" %}

with

stored_months as (

    select
        months.*,
        -- A month the windows read: from three months before the first month this build
        -- writes for the client (a client's months run without a gap, so three rows back
        -- are three months back); the months before add only to the counts and dates
        -- carried to the first month (`earlier`). An increment then windows about four
        -- months of a client instead of the whole history (bank-300k: 2.6 -> 1.0 s for the
        -- month-end clients).
        {% if is_incremental() -%}
            months.month_start_date >= cast(
                least(
                    date_trunc('month', scope.refresh_from_date),
                    {{ stored_through_sql }} + 1
                ) - interval 3 month as date
            )
        {%- else -%}
            true
        {%- endif %} as is_windowed
    from {{ ref('ml_features__client_months') }} as months
    {{ left_join_client_refresh_scope('months.golden_client_id') }}
    {% if is_incremental() and stored_through >= latest_complete_month_end() %}
        where scope.refresh_from_date <= {{ stored_through_sql }}
    {% endif %}

),

earlier as (

    select
        golden_client_id,
        count(*) as months_count,
        max(last_login_date) as last_login_date,
        max(last_card_date) as last_card_date,
        max(last_activity_date) as last_activity_date
    from stored_months
    where not is_windowed
    group by golden_client_id

),

months as (

    select
        stored_months.*,
        earlier.last_login_date as earlier_last_login_date,
        earlier.last_card_date as earlier_last_card_date,
        earlier.last_activity_date as earlier_last_activity_date,
        coalesce(earlier.months_count, 0) as earlier_months_count
    from stored_months
    left join earlier on stored_months.golden_client_id = earlier.golden_client_id
    where stored_months.is_windowed

),

windowed as (

    -- sqlfluff counts a cast of an aggregate as a simple target, out of order
    select  -- noqa: ST06
        golden_client_id,
        as_of_date,
        salary_rub as salary_rub_month,
        own_account_out_count as own_account_out_count_month,
        inflow_rub as inflow_rub_month,
        outflow_rub as outflow_rub_month,
        card_purchase_count as card_purchase_count_month,
        login_count as login_count_month,
        inbound_call_count as inbound_call_count_month,
        leaving_topic_contact_count as leaving_topic_contact_count_month,
        me2me_event_count as me2me_event_count_month,
        requisites_event_count as requisites_event_count_month,
        balance_rub as balance_rub_month_end,
        earlier_months_count + row_number() over client_months as months_observed,
        coalesce(avg(salary_rub) over previous_3, 0) as salary_rub_previous_3_avg,
        sum(own_account_out_rub) over last_3 as own_account_out_rub_3m,
        -- Counts as BIGINT: a sum of counts is a HUGEINT, which Parquet cannot hold.
        cast(sum(own_account_out_count) over last_3 as bigint) as own_account_out_count_3m,
        cast(sum(sbp_out_count) over last_3 as bigint) as sbp_out_count_3m,
        avg(pension_rub) over last_3 as pension_rub_3m_avg,
        -- the months' geometric means weighted by their transfers: one over all of them, in
        -- kopecks as each month's (a double's last bits differ between builds)
        cast(exp(
            sum(personal_transfer_count * ln(personal_transfer_typical_rub)) over last_3
            / nullif(sum(personal_transfer_count) over last_3, 0)
        ) as decimal(18, 2)) as personal_transfer_typical_rub_3m,
        coalesce(avg(inflow_rub) over previous_3, 0) as inflow_rub_previous_3_avg,
        sum(outflow_rub) over last_3 as outflow_rub_3m,
        coalesce(avg(card_purchase_count) over previous_3, 0) as card_purchase_previous_3_avg,
        coalesce(avg(login_count) over previous_3, 0) as login_previous_3_avg,
        cast(sum(inbound_call_count) over last_3 as bigint) as inbound_call_count_3m,
        cast(sum(complaint_count) over last_3 as bigint) as complaint_count_3m,
        cast(sum(leaving_topic_contact_count) over last_3 as bigint)
            as leaving_topic_contact_count_3m,
        cast(sum(certificate_request_count) over last_3 as bigint)
            as certificate_request_count_3m,
        min(nps_min_score) over last_3 as nps_min_score_3m,
        cast(sum(me2me_event_count) over last_3 as bigint) as me2me_event_count_3m,
        cast(sum(autopay_disable_count) over last_3 as bigint) as autopay_disable_count_3m,
        cast(sum(requisites_event_count) over last_3 as bigint) as requisites_event_count_3m,
        coalesce(lag(balance_rub, 3) over client_months, 0) as balance_rub_3_months_before,
        greatest(earlier_last_login_date, max(last_login_date) over to_date) as last_login_date,
        greatest(earlier_last_card_date, max(last_card_date) over to_date) as last_card_date,
        greatest(earlier_last_activity_date, max(last_activity_date) over to_date)
            as last_activity_date
    from months
    window
        client_months as (partition by golden_client_id order by month_start_date),
        previous_3 as (client_months rows between 3 preceding and 1 preceding),
        last_3 as (client_months rows between 2 preceding and current row),
        to_date as (client_months rows between unbounded preceding and current row)

),

-- The client months this build writes: all of them in a full build; in an increment the new
-- month end and the months of the refresh scope, filtered before the contracts are joined to
-- them (a scope client's three months before the first rebuilt one are windowed too, but only
-- its rebuilt ones need contracts).
to_build as (

    select windowed.* from windowed
    {% if is_incremental() %}
        {{ left_join_client_refresh_scope('windowed.golden_client_id') }}
        where {{ completed_since_or_in_refresh_scope('windowed.as_of_date', stored_through_sql) }}
    {% endif %}

),

contracts_as_of as (

    select
        windowed.golden_client_id,
        windowed.as_of_date,
        count(*) filter (
            where contracts.closed_date is null or contracts.closed_date > windowed.as_of_date
        ) as products_held_count,
        count(*) filter (
            where contracts.closed_date between windowed.as_of_date - 89 and windowed.as_of_date
        ) as contracts_closed_90d_count,
        count(*) filter (
            where
            contracts.product_type in ('term_deposit', 'savings', 'demand_deposit')
            and contracts.closed_date between windowed.as_of_date - 89 and windowed.as_of_date
        ) as deposits_closed_90d_count,
        count(*) filter (
            where contracts.start_date > windowed.as_of_date - 90
        ) as contracts_opened_90d_count,
        bool_or(
            contracts.product_type in ('cash_loan', 'credit_card', 'mortgage', 'car_loan')
            and (contracts.closed_date is null or contracts.closed_date > windowed.as_of_date)
        ) as has_loan,
        bool_or(
            contracts.product_type in ('term_deposit', 'savings', 'demand_deposit')
            and (contracts.closed_date is null or contracts.closed_date > windowed.as_of_date)
        ) as has_deposit,
        windowed.as_of_date - min(contracts.start_date) as tenure_days
    from to_build as windowed
    inner join {{ ref('fct_contracts') }} as contracts
        on
            windowed.golden_client_id = contracts.golden_client_id
            and windowed.as_of_date >= contracts.start_date
    where contracts.client_segment = 'retail'
    group by windowed.golden_client_id, windowed.as_of_date

)

select
    windowed.golden_client_id,
    windowed.as_of_date,
    windowed.months_observed,
    contracts_as_of.tenure_days,
    contracts_as_of.products_held_count,
    contracts_as_of.contracts_closed_90d_count,
    contracts_as_of.deposits_closed_90d_count,
    contracts_as_of.contracts_opened_90d_count,
    contracts_as_of.has_loan,
    contracts_as_of.has_deposit,
    windowed.salary_rub_month,
    windowed.salary_rub_previous_3_avg,
    windowed.own_account_out_rub_3m,
    windowed.own_account_out_count_3m,
    windowed.own_account_out_count_month,
    windowed.sbp_out_count_3m,
    windowed.pension_rub_3m_avg,
    windowed.personal_transfer_typical_rub_3m,
    windowed.inflow_rub_month,
    windowed.inflow_rub_previous_3_avg,
    windowed.outflow_rub_month,
    windowed.card_purchase_count_month,
    windowed.card_purchase_previous_3_avg,
    windowed.login_count_month,
    windowed.login_previous_3_avg,
    windowed.inbound_call_count_3m,
    windowed.inbound_call_count_month,
    windowed.complaint_count_3m,
    windowed.leaving_topic_contact_count_3m,
    windowed.leaving_topic_contact_count_month,
    windowed.certificate_request_count_3m,
    windowed.nps_min_score_3m,
    windowed.me2me_event_count_3m,
    windowed.me2me_event_count_month,
    windowed.autopay_disable_count_3m,
    windowed.requisites_event_count_3m,
    windowed.requisites_event_count_month,
    windowed.balance_rub_month_end,
    windowed.balance_rub_3_months_before,
    windowed.last_activity_date,
    windowed.own_account_out_rub_3m / nullif(windowed.outflow_rub_3m, 0)
        as own_account_out_share_3m,
    windowed.as_of_date - windowed.last_login_date as days_since_last_login,
    windowed.as_of_date - windowed.last_card_date as days_since_last_card_use,
    windowed.as_of_date - windowed.last_activity_date as days_since_last_activity,
    {{ client_refresh_watermarks() }},
    {{ written_by_this_run() }} as _written_by
from to_build as windowed
inner join contracts_as_of
    on
        windowed.golden_client_id = contracts_as_of.golden_client_id
        and windowed.as_of_date = contracts_as_of.as_of_date
where contracts_as_of.products_held_count > 0
-- Stored in as-of order: scoring reads only the latest as-of date, and DuckDB's zone maps then
-- skip every other date's row groups (bank-300k churn: 6.4 -> 0.8 s for the latest rows).
order by windowed.as_of_date
