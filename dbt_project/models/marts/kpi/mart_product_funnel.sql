-- Product funnel lead → application → approval → contract → issue per month, product and channel.
with

leads as (
    select
        lead_month_date as month_date,
        product_code,
        channel,
        count(*) as leads_count,
        count(*) filter (where is_converted) as leads_converted_count,
        median(hours_to_application) as median_hours_lead_to_application
    from {{ ref('int_kpi_leads_converted') }}
    group by all
),

applications as (
    select
        application_month_date as month_date,
        product_code,
        channel,
        count(*) as applications_count,
        count(submitted_at) as submitted_count,
        count(approved_at) as approved_count,
        count(declined_at) as declined_count,
        count(signed_at) as contracts_count,
        count(issued_at) as issued_count,
        count(*) filter (where outcome = 'in_progress') as in_progress_count,
        median(date_diff('second', started_at, approved_at) / 3600.0)
            as median_hours_application_to_approval,
        median(date_diff('second', approved_at, signed_at) / 3600.0)
            as median_hours_approval_to_contract,
        median(date_diff('second', signed_at, issued_at) / 3600.0)
            as median_hours_contract_to_issue,
        count(is_decision_within_sla) as decision_sla_measured_count,
        count(*) filter (where is_decision_within_sla) as decision_sla_met_count,
        count(is_follow_up_within_sla) as follow_up_sla_measured_count,
        count(*) filter (where is_follow_up_within_sla) as follow_up_sla_met_count
    from {{ ref('int_kpi_applications_stepped') }}
    group by all
),

cells as (
    select
        month_date,
        product_code,
        channel
    from leads
    union
    select
        month_date,
        product_code,
        channel
    from applications
)

select
    cells.month_date,
    cells.product_code,
    cells.channel,
    coalesce(leads.leads_count, 0) as leads_count,
    coalesce(leads.leads_converted_count, 0) as leads_converted_count,
    {{ kpi_pct('leads.leads_converted_count', 'leads.leads_count') }} as lead_to_application_pct,
    cast(leads.median_hours_lead_to_application as decimal(10, 2))
        as median_hours_lead_to_application,
    coalesce(applications.applications_count, 0) as applications_count,
    coalesce(applications.submitted_count, 0) as submitted_count,
    coalesce(applications.approved_count, 0) as approved_count,
    coalesce(applications.declined_count, 0) as declined_count,
    coalesce(applications.contracts_count, 0) as contracts_count,
    coalesce(applications.issued_count, 0) as issued_count,
    coalesce(applications.in_progress_count, 0) as in_progress_count,
    {{ kpi_pct('applications.approved_count', 'applications.applications_count') }}
        as application_to_approval_pct,
    {{ kpi_pct('applications.contracts_count', 'applications.approved_count') }}
        as approval_to_contract_pct,
    {{ kpi_pct('applications.issued_count', 'applications.contracts_count') }}
        as contract_to_issue_pct,
    {{ kpi_pct('applications.issued_count', 'applications.applications_count') }}
        as application_to_issue_pct,
    cast(applications.median_hours_application_to_approval as decimal(10, 2))
        as median_hours_application_to_approval,
    cast(applications.median_hours_approval_to_contract as decimal(10, 2))
        as median_hours_approval_to_contract,
    cast(applications.median_hours_contract_to_issue as decimal(10, 2))
        as median_hours_contract_to_issue,
    {{ var('kpi_application_decision_sla_hours') }} as decision_sla_hours,
    coalesce(applications.decision_sla_measured_count, 0) as decision_sla_measured_count,
    coalesce(applications.decision_sla_met_count, 0) as decision_sla_met_count,
    {{ kpi_pct('applications.decision_sla_met_count', 'applications.decision_sla_measured_count') }}
        as decision_sla_compliance_pct,
    {{ var('kpi_application_callback_sla_hours') }} as follow_up_sla_hours,
    coalesce(applications.follow_up_sla_measured_count, 0) as follow_up_sla_measured_count,
    coalesce(applications.follow_up_sla_met_count, 0) as follow_up_sla_met_count,
    {{ kpi_pct('applications.follow_up_sla_met_count', 'applications.follow_up_sla_measured_count') }}
        as follow_up_sla_compliance_pct
from cells
left join leads
    on
        cells.month_date = leads.month_date
        and cells.product_code = leads.product_code
        and cells.channel = leads.channel
left join applications
    on
        cells.month_date = applications.month_date
        and cells.product_code = applications.product_code
        and cells.channel = applications.channel
