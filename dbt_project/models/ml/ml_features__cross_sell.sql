-- One row per retail golden client holding a product × month-end as-of date, the rows of
-- ml_features__churn. Reuses its windowed behaviour columns and adds what a purchase depends
-- on: the products held at the as-of date by product type, age and client type there. Nothing dated
-- after the as-of date is read. Incremental as ml_features__churn: the months completed since
-- the last build for every client, and the rows of its refresh scope — the churn features' own,
-- and the clients whose type or age no longer agree with the golden record
-- (macros/client_refresh_scope.sql), which reads in its pre-hook:
-- depends_on: {{ ref('fct_transactions') }}
-- depends_on: {{ ref('fct_card_transactions') }}
-- depends_on: {{ ref('fct_interactions') }}
-- depends_on: {{ ref('fct_balances_daily') }}
-- depends_on: {{ ref('stg_dbo__events') }}
-- depends_on: {{ ref('dim_accounts') }}
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            "{{ create_client_refresh_scope(ml_feature_reads() + ['client_attributes']) }}",
            "{{ delete_client_rows_to_refresh('as_of_date') }}",
        ],
        post_hook="{{ drop_client_refresh_scope() }}",
    )
}}

{% set product_types = [
    'current_account', 'savings', 'demand_deposit', 'term_deposit', 'credit_card',
    'cash_loan', 'mortgage', 'car_loan', 'brokerage', 'insurance'
] %}

with

churn_features as (

    -- The columns used below only: the CTE is read twice, so DuckDB materializes what it
    -- selects (all 45 columns of the churn features: 12 of the model's 19 s at bank-1m).
    select
        churn.golden_client_id,
        churn.as_of_date,
        churn.months_observed,
        churn.tenure_days,
        churn.products_held_count,
        churn.contracts_opened_90d_count,
        churn.contracts_closed_90d_count,
        churn.salary_rub_month,
        churn.salary_rub_previous_3_avg,
        churn.inflow_rub_month,
        churn.inflow_rub_previous_3_avg,
        churn.pension_rub_3m_avg,
        churn.personal_transfer_typical_rub_3m,
        churn.outflow_rub_month,
        churn.card_purchase_count_month,
        churn.card_purchase_previous_3_avg,
        churn.login_count_month,
        churn.login_previous_3_avg,
        churn.days_since_last_login,
        churn.balance_rub_month_end,
        churn.balance_rub_3_months_before,
        churn.days_since_last_activity
    from {{ ref('ml_features__churn') }} as churn
    {% if is_incremental() %}
        {{ left_join_client_refresh_scope('churn.golden_client_id') }}
        where {{ completed_since_or_in_refresh_scope(
            'churn.as_of_date', "date '" ~ latest_stored_as_of_date() ~ "'"
        ) }}
    {% endif %}

),

clients as (

    select
        clients.golden_client_id,
        clients.client_type,
        clients.birth_date,
        sole_proprietors.sole_proprietor_since_date
    from {{ source('golden_record', 'dim_clients') }} as clients
    left join {{ ref('int_sole_proprietors_dated') }} as sole_proprietors
        on clients.golden_client_id = sole_proprietors.golden_client_id

),

holdings as (

    select
        churn_features.golden_client_id,
        churn_features.as_of_date,
    {% for product_type in product_types %}
        coalesce(
            bool_or(contracts.product_type = '{{ product_type }}'), false
        ) as holds_{{ product_type }}{{ "," if not loop.last }}
    {% endfor %}
    from churn_features
    inner join {{ ref('fct_contracts') }} as contracts
        on
            churn_features.golden_client_id = contracts.golden_client_id
            and churn_features.as_of_date >= contracts.start_date
            and (
                contracts.closed_date is null
                or churn_features.as_of_date < contracts.closed_date
            )
    where contracts.client_segment = 'retail'
    group by churn_features.golden_client_id, churn_features.as_of_date

)

select
    churn_features.golden_client_id,
    churn_features.as_of_date,
    {{ is_sole_proprietor(client_type_on(
        'clients.client_type', 'clients.sole_proprietor_since_date', 'churn_features.as_of_date'
    )) }} as is_sole_proprietor,
    {{ age_years('churn_features.as_of_date', 'clients.birth_date') }} as age_years,
    churn_features.months_observed,
    churn_features.tenure_days,
    churn_features.products_held_count,
    churn_features.contracts_opened_90d_count,
    churn_features.contracts_closed_90d_count,
    {% for product_type in product_types %}
        holdings.holds_{{ product_type }},
    {% endfor %}
    churn_features.salary_rub_month,
    churn_features.salary_rub_previous_3_avg,
    churn_features.inflow_rub_month,
    churn_features.inflow_rub_previous_3_avg,
    churn_features.pension_rub_3m_avg,
    churn_features.personal_transfer_typical_rub_3m,
    churn_features.outflow_rub_month,
    churn_features.card_purchase_count_month,
    churn_features.card_purchase_previous_3_avg,
    churn_features.login_count_month,
    churn_features.login_previous_3_avg,
    churn_features.days_since_last_login,
    churn_features.balance_rub_month_end,
    churn_features.balance_rub_3_months_before,
    churn_features.days_since_last_activity,
    {{ client_refresh_watermarks() }},
    {{ written_by_this_run() }} as _written_by
from churn_features
inner join holdings
    on
        churn_features.golden_client_id = holdings.golden_client_id
        and churn_features.as_of_date = holdings.as_of_date
inner join clients
    on churn_features.golden_client_id = clients.golden_client_id
-- Stored in as-of order for scoring's latest-date read, as ml_features__churn (docs/ml.md).
order by churn_features.as_of_date
