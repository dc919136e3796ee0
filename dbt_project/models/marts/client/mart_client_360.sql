-- One row per golden client: what they hold, earn, spend and do, and their current segments,
-- as of the warehouse's business date (fct_client_states; rules in
-- int_client_segments_assigned and docs/warehouse.md, "Client 360 and segments").
{%- set as_of_date = warehouse_business_date_literal() %}
with

current_states as (
    -- the current rows (is_current), by their date: the segments' windows, partitioned by
    -- date, are then computed for that date alone
    select * from {{ ref('int_client_segments_assigned') }}
    where as_of_date = {{ as_of_date }}
),

crosswalk as (
    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}
),

contracts as (
    select
        golden_client_id,
        count(*) filter (where is_open) as open_contracts_count,
        count(*) filter (where not is_open) as closed_contracts_count,
        count(*) filter (where is_open and product_type = 'current_account')
            as current_accounts_count,
        count(*) filter (
            where is_open and product_type in ('savings', 'demand_deposit', 'term_deposit')
        ) as deposits_count,
        count(*) filter (where is_open and product_type = 'credit_card') as credit_cards_count,
        count(*) filter (
            where is_open and product_type in ('cash_loan', 'mortgage', 'car_loan', 'business_loan')
        ) as loans_count,
        count(*) filter (where is_open and product_type = 'mortgage') as mortgages_count,
        count(*) filter (where is_open and product_type = 'brokerage') as brokerage_count,
        count(*) filter (where is_open and product_type = 'insurance') as insurance_count,
        count(*) filter (
            where is_open and product_type in ('rko', 'salary_project', 'acquiring')
        ) as business_products_count
    from {{ ref('fct_contracts') }}
    where golden_client_id is not null
    group by golden_client_id
),

account_balances as (
    -- Latest balance record of each account open on the as-of date (days without movement
    -- have no record).
    select
        client_accounts.golden_client_id,
        client_accounts.product_type,
        balances.closing_balance_rub as balance_rub
    from {{ ref('dim_accounts') }} as client_accounts
    inner join {{ account_balances_on(as_of_date) }} as balances
        on client_accounts.account_number = balances.account_number
    where
        client_accounts.golden_client_id is not null
        and client_accounts.opened_date <= {{ as_of_date }}
        and (client_accounts.closed_date is null or client_accounts.closed_date > {{ as_of_date }})
),

balances as (
    select
        golden_client_id,
        sum(balance_rub) filter (where product_type = 'current_account')
            as current_account_balance_rub,
        sum(balance_rub) filter (where product_type in ('savings', 'demand_deposit'))
            as savings_balance_rub,
        sum(balance_rub) filter (where product_type = 'term_deposit') as term_deposit_balance_rub,
        sum(balance_rub) filter (where product_type = 'brokerage') as brokerage_balance_rub,
        sum(balance_rub) filter (where product_type = 'rko') as business_account_balance_rub,
        sum(balance_rub) filter (where product_type = 'credit_card') as credit_card_debt_rub,
        sum(balance_rub) filter (
            where product_type in ('cash_loan', 'mortgage', 'car_loan', 'business_loan')
        ) as loan_debt_rub
    from account_balances
    group by golden_client_id
),

interactions as (
    select
        interactions.golden_client_id,
        max(interactions.occurred_date) filter (
            where interactions.interaction_type = 'dbo_login' and not interactions.is_failed
        ) as last_app_login_date,
        count(*) filter (
            where interactions.interaction_type = 'complaint' and interactions.ended_at is null
        ) as open_complaints_count,
        count(*) filter (
            where interactions.interaction_type = 'complaint' and interactions.ended_at is not null
        ) as closed_complaints_count,
        arg_max(interactions.score, interactions.occurred_at) filter (
            where interactions.interaction_type = 'survey_nps'
        ) as last_nps_score,
        max(interactions.occurred_date) filter (
            where interactions.interaction_type = 'survey_nps'
        ) as last_nps_date,
        arg_max(interactions.score, interactions.occurred_at) filter (
            where interactions.interaction_type = 'survey_csat'
        ) as last_csat_score,
        max(interactions.occurred_date) filter (
            where interactions.interaction_type = 'survey_csat'
        ) as last_csat_date
    from {{ ref('fct_interactions') }} as interactions
    where
        interactions.golden_client_id is not null
        and interactions.occurred_date <= {{ as_of_date }}
    group by interactions.golden_client_id
),

recent_activity as (
    -- The 90 days ending on the business date, both included.
    -- sqlfluff counts a cast of an aggregate as a simple target, out of order
    select  -- noqa: ST06
        activity.golden_client_id,
        sum(activity.card_spend_rub) as card_spend_90d_rub,
        sum(activity.spend_groceries_rub) as spend_groceries_90d_rub,
        sum(activity.spend_restaurants_rub) as spend_restaurants_90d_rub,
        sum(activity.spend_transport_rub) as spend_transport_90d_rub,
        sum(activity.spend_travel_rub) as spend_travel_90d_rub,
        sum(activity.spend_retail_rub) as spend_retail_90d_rub,
        cast(sum(activity.contact_center_contacts_count) as bigint)
            as contact_center_contacts_90d_count
    from {{ ref('fct_client_activity_days') }} as activity
    where
        activity.activity_date
        between {{ as_of_date }} - 89 and {{ as_of_date }}
    group by activity.golden_client_id
),

consents as (
    -- A consent is in force on the as-of date when captured by then and not withdrawn by then.
    select
        crosswalk.golden_client_id,
        bool_or(consents.consent_type = 'ОБРАБОТКА_ПДН') as has_personal_data_consent,
        bool_or(consents.consent_type = 'РЕКЛАМА' and consents.channel = 'SMS')
            as has_marketing_sms_consent,
        bool_or(consents.consent_type = 'РЕКЛАМА' and consents.channel = 'EMAIL')
            as has_marketing_email_consent,
        bool_or(consents.consent_type = 'РЕКЛАМА' and consents.channel = 'ЗВОНОК')
            as has_marketing_call_consent,
        bool_or(consents.consent_type = 'РЕКЛАМА' and consents.channel = 'PUSH')
            as has_marketing_push_consent
    from {{ ref('stg_abs__consents') }} as consents
    inner join crosswalk on 'abs:' || consents.abs_client_id = crosswalk.record_key
    where
        consents.captured_date <= {{ as_of_date }}
        and (consents.withdrawn_date is null or consents.withdrawn_date > {{ as_of_date }})
    group by crosswalk.golden_client_id
)

select
    states.golden_client_id,
    states.as_of_date,
    states.client_type,
    states.client_since_date,
    states.tenure_days,
    states.open_accounts_count,
    cast(coalesce(balances.current_account_balance_rub, 0) as decimal(18, 2))
        as current_account_balance_rub,
    cast(coalesce(balances.savings_balance_rub, 0) as decimal(18, 2)) as savings_balance_rub,
    cast(coalesce(balances.term_deposit_balance_rub, 0) as decimal(18, 2))
        as term_deposit_balance_rub,
    cast(coalesce(balances.brokerage_balance_rub, 0) as decimal(18, 2)) as brokerage_balance_rub,
    cast(coalesce(balances.business_account_balance_rub, 0) as decimal(18, 2))
        as business_account_balance_rub,
    states.funds_balance_rub,
    cast(coalesce(balances.credit_card_debt_rub, 0) as decimal(18, 2)) as credit_card_debt_rub,
    cast(coalesce(balances.loan_debt_rub, 0) as decimal(18, 2)) as loan_debt_rub,
    states.debt_balance_rub,
    states.estimated_monthly_income_rub,
    states.salary_months_count,
    states.salary_credit_3m_rub,
    cast(coalesce(recent_activity.card_spend_90d_rub, 0) as decimal(18, 2)) as card_spend_90d_rub,
    cast(coalesce(recent_activity.spend_groceries_90d_rub, 0) as decimal(18, 2)) as spend_groceries_90d_rub,
    cast(coalesce(recent_activity.spend_restaurants_90d_rub, 0) as decimal(18, 2)) as spend_restaurants_90d_rub,
    cast(coalesce(recent_activity.spend_transport_90d_rub, 0) as decimal(18, 2)) as spend_transport_90d_rub,
    cast(coalesce(recent_activity.spend_travel_90d_rub, 0) as decimal(18, 2)) as spend_travel_90d_rub,
    cast(coalesce(recent_activity.spend_retail_90d_rub, 0) as decimal(18, 2)) as spend_retail_90d_rub,
    interactions.last_app_login_date,
    states.logins_90d_count,
    cast(states.logins_90d_count / 3 as decimal(8, 2)) as logins_per_month_3m,
    interactions.last_nps_score,
    interactions.last_nps_date,
    interactions.last_csat_score,
    interactions.last_csat_date,
    states.last_operation_date,
    states.days_since_last_operation,
    states.operations_90d_count,
    states.operations_90d_rub,
    states.value_tier,
    states.lifecycle_stage,
    states.rfm_recency_score,
    states.rfm_frequency_score,
    states.rfm_monetary_score,
    states.rfm_segment,
    states.digital_engagement,
    coalesce(recent_activity.contact_center_contacts_90d_count, 0)
        as contact_center_contacts_90d_count,
    coalesce(contracts.open_contracts_count, 0) as open_contracts_count,
    coalesce(contracts.closed_contracts_count, 0) as closed_contracts_count,
    coalesce(contracts.current_accounts_count, 0) as current_accounts_count,
    coalesce(contracts.deposits_count, 0) as deposits_count,
    coalesce(contracts.credit_cards_count, 0) as credit_cards_count,
    coalesce(contracts.loans_count, 0) as loans_count,
    coalesce(contracts.mortgages_count, 0) as mortgages_count,
    coalesce(contracts.brokerage_count, 0) as brokerage_count,
    coalesce(contracts.insurance_count, 0) as insurance_count,
    coalesce(contracts.business_products_count, 0) as business_products_count,
    coalesce(contracts.current_accounts_count, 0) > 0 as has_current_account,
    coalesce(contracts.deposits_count, 0) > 0 as has_deposit,
    coalesce(contracts.credit_cards_count, 0) > 0 as has_credit_card,
    coalesce(contracts.loans_count, 0) > 0 as has_loan,
    coalesce(contracts.mortgages_count, 0) > 0 as has_mortgage,
    coalesce(contracts.brokerage_count, 0) > 0 as has_brokerage,
    coalesce(contracts.insurance_count, 0) > 0 as has_insurance,
    coalesce(interactions.open_complaints_count, 0) as open_complaints_count,
    coalesce(interactions.closed_complaints_count, 0) as closed_complaints_count,
    coalesce(consents.has_personal_data_consent, false) as has_personal_data_consent,
    coalesce(consents.has_marketing_sms_consent, false) as has_marketing_sms_consent,
    coalesce(consents.has_marketing_email_consent, false) as has_marketing_email_consent,
    coalesce(consents.has_marketing_call_consent, false) as has_marketing_call_consent,
    coalesce(consents.has_marketing_push_consent, false) as has_marketing_push_consent,
    states.salary_status = 'salary' as is_salary_client
from current_states as states
left join contracts on states.golden_client_id = contracts.golden_client_id
left join balances on states.golden_client_id = balances.golden_client_id
left join interactions on states.golden_client_id = interactions.golden_client_id
left join consents on states.golden_client_id = consents.golden_client_id
left join recent_activity on states.golden_client_id = recent_activity.golden_client_id
