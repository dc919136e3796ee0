-- Declined and lost applications by reason, per application month, product and channel.
with

applications as (
    select * from {{ ref('int_kpi_applications_stepped') }}
),

cohorts as (
    select
        application_month_date,
        product_code,
        channel,
        count(*) as cohort_applications_count
    from applications
    group by all
),

reasons as (
    select
        application_month_date,
        product_code,
        channel,
        outcome,
        coalesce(decline_reason, loss_reason) as reason,
        count(*) as applications_count
    from applications
    where outcome in ('declined', 'lost')
    group by all
)

select
    reasons.application_month_date,
    reasons.product_code,
    reasons.channel,
    reasons.outcome,
    reasons.reason,
    reasons.applications_count,
    cohorts.cohort_applications_count,
    {{ kpi_pct('reasons.applications_count', 'cohorts.cohort_applications_count') }}
        as share_of_applications_pct,
    {{ kpi_pct(
        'reasons.applications_count',
        'sum(reasons.applications_count) over (partition by reasons.application_month_date, '
        ~ 'reasons.product_code, reasons.channel, reasons.outcome)'
    ) }} as share_of_outcome_pct
from reasons
inner join cohorts
    on
        reasons.application_month_date = cohorts.application_month_date
        and reasons.product_code = cohorts.product_code
        and reasons.channel = cohorts.channel
