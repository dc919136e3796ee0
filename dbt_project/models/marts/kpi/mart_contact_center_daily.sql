-- Contact-centre KPIs per Moscow calendar day: calls, chats, complaints and surveys.
with

calls as (
    select
        call_date as activity_date,
        {{ kpi_inbound_call_counts() }},
        count(*) filter (where not is_inbound) as outbound_calls_count,
        count(*) filter (where not is_inbound and is_answered) as outbound_reached_count
    from {{ ref('int_kpi_calls_classified') }}
    group by all
),

chats as (
    select
        {{ to_moscow_date('started_at') }} as activity_date,
        count(*) as chats_count,
        count(csat_score) as chat_csat_responses_count,
        avg(csat_score) as chat_csat_average_score
    from {{ ref('stg_contact_center__chats') }}
    group by all
),

complaints_opened as (
    select
        {{ to_moscow_date('received_at') }} as activity_date,
        count(*) as complaints_opened_count
    from {{ ref('stg_contact_center__complaints') }}
    group by all
),

complaints_closed as (
    select
        {{ to_moscow_date('closed_at') }} as activity_date,
        count(*) as complaints_closed_count,
        count(*) filter (where {{ to_moscow_date('closed_at') }} > due_date)
            as complaints_closed_overdue_count
    from {{ ref('stg_contact_center__complaints') }}
    where closed_at is not null
    group by all
),

surveys as (
    select
        {{ to_moscow_date('answered_at') }} as activity_date,
        count(*) filter (where survey_type = 'csat') as csat_responses_count,
        count(*) filter (
            where survey_type = 'csat' and score >= {{ var('kpi_csat_satisfied_min_score') }}
        ) as csat_satisfied_count,
        avg(score) filter (where survey_type = 'csat') as csat_average_score,
        count(*) filter (where survey_type = 'nps') as nps_responses_count,
        count(*) filter (where survey_type = 'nps' and score >= 9) as nps_promoters_count,
        count(*) filter (where survey_type = 'nps' and score <= 6) as nps_detractors_count
    from {{ ref('stg_contact_center__surveys') }}
    where answered_at is not null and score is not null
    group by all
),

days as (
    select activity_date from calls
    union
    select activity_date from chats
    union
    select activity_date from complaints_opened
    union
    select activity_date from complaints_closed
    union
    select activity_date from surveys
)
,

measured as (
    select
        days.activity_date,
        {{ kpi_inbound_call_rates('calls') }},
        coalesce(calls.outbound_calls_count, 0) as outbound_calls_count,
        coalesce(calls.outbound_reached_count, 0) as outbound_reached_count,
        coalesce(chats.chats_count, 0) as chats_count,
        coalesce(chats.chat_csat_responses_count, 0) as chat_csat_responses_count,
        cast(chats.chat_csat_average_score as decimal(4, 2)) as chat_csat_average_score,
        coalesce(complaints_opened.complaints_opened_count, 0) as complaints_opened_count,
        coalesce(complaints_closed.complaints_closed_count, 0) as complaints_closed_count,
        coalesce(complaints_closed.complaints_closed_overdue_count, 0)
            as complaints_closed_overdue_count,
        coalesce(surveys.csat_responses_count, 0) as csat_responses_count,
        cast(surveys.csat_average_score as decimal(4, 2)) as csat_average_score,
        {{ kpi_pct('surveys.csat_satisfied_count', 'surveys.csat_responses_count') }}
            as csat_satisfied_pct,
        coalesce(surveys.nps_responses_count, 0) as nps_responses_count,
        coalesce(surveys.nps_promoters_count, 0) as nps_promoters_count,
        coalesce(surveys.nps_detractors_count, 0) as nps_detractors_count,
        cast(
            round(
                100.0 * (surveys.nps_promoters_count - surveys.nps_detractors_count)
                / nullif(surveys.nps_responses_count, 0),
                2
            ) as decimal(6, 2)
        ) as nps
    from days
    left join calls on days.activity_date = calls.activity_date
    left join chats on days.activity_date = chats.activity_date
    left join complaints_opened on days.activity_date = complaints_opened.activity_date
    left join complaints_closed on days.activity_date = complaints_closed.activity_date
    left join surveys on days.activity_date = surveys.activity_date
)

select
    *,
    service_level_pct >= service_level_target_pct as is_service_level_met
from measured
