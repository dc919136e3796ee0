-- Segment rules: every golden client's segments at each as-of date of fct_client_states
-- (month ends and the business date; is_current marks the business date). Thresholds are the
-- seg_ vars of dbt_project.yml; the rules table is in docs/warehouse.md.
with

states as (
    select * from {{ ref('fct_client_states') }}
),

ruled as (
    select
        *,
        case
            when
                funds_balance_rub >= {{ var('seg_vip_min_funds_rub') }}
                or estimated_monthly_income_rub >= {{ var('seg_vip_min_income_rub') }}
                then 'vip'
            when
                funds_balance_rub >= {{ var('seg_premium_min_funds_rub') }}
                or estimated_monthly_income_rub >= {{ var('seg_premium_min_income_rub') }}
                then 'premium'
            else 'mass'
        end as value_tier,
        -- The first rule that holds wins, so the four stages partition the clients.
        case
            when open_accounts_count = 0 then 'closed'
            when tenure_days < {{ var('seg_new_client_max_tenure_days') }} then 'new'
            when operations_90d_count > 0 then 'active'
            else 'dormant'
        end as lifecycle_stage,
        case
            when logins_90d_count >= 3 * {{ var('seg_digital_active_min_logins_per_month') }}
                then 'digital_active'
            when logins_90d_count > 0 then 'digital_occasional'
            else 'offline'
        end as digital_engagement,
        case
            when salary_months_count >= {{ var('seg_salary_min_months') }} then 'salary'
            else 'non_salary'
        end as salary_status
    from states
),

scored as (
    -- RFM over the clients with an operation in the last 90 days at the same as-of date:
    -- quintiles of the percent rank, so equal values always get equal scores (5 = best).
    select
        golden_client_id,
        as_of_date,
        least(5, 1 + floor(5 * percent_rank() over (
            partition by as_of_date order by last_operation_date
        )))::integer as rfm_recency_score,
        least(5, 1 + floor(5 * percent_rank() over (
            partition by as_of_date order by operations_90d_count
        )))::integer as rfm_frequency_score,
        least(5, 1 + floor(5 * percent_rank() over (
            partition by as_of_date order by operations_90d_rub
        )))::integer as rfm_monetary_score
    from states
    where operations_90d_count > 0
)

select
    ruled.*,  -- noqa: AM04
    scored.rfm_recency_score,
    scored.rfm_frequency_score,
    scored.rfm_monetary_score,
    case
        when scored.golden_client_id is null then 'inactive'
        when
            scored.rfm_recency_score >= 4
            and scored.rfm_frequency_score >= 4
            and scored.rfm_monetary_score >= 4
            then 'champions'
        when scored.rfm_recency_score >= 3 and scored.rfm_frequency_score >= 4 then 'loyal'
        when scored.rfm_recency_score >= 4 and scored.rfm_frequency_score <= 2 then 'promising'
        when scored.rfm_recency_score <= 2 and scored.rfm_frequency_score >= 3 then 'at_risk'
        when scored.rfm_recency_score <= 2 then 'hibernating'
        else 'needs_attention'
    end as rfm_segment
from ruled
left join scored
    on
        ruled.golden_client_id = scored.golden_client_id
        and ruled.as_of_date = scored.as_of_date
