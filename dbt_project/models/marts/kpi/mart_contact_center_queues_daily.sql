-- Inbound-call KPIs per Moscow calendar day and queue.
with

calls as (
    select
        call_date as activity_date,
        queue,
        {{ kpi_inbound_call_counts() }}
    from {{ ref('int_kpi_calls_classified') }}
    where is_inbound
    group by all
),

measured as (
    select
        calls.activity_date,
        calls.queue,
        {{ kpi_inbound_call_rates('calls') }}
    from calls
)

select
    *,
    service_level_pct >= service_level_target_pct as is_service_level_met
from measured
