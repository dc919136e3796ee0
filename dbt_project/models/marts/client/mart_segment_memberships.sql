-- Segment history: one row per golden client × segment type × stretch of consecutive as-of
-- dates with the same segment. The rules are evaluated at every month end of the data and at
-- the business date (int_client_segments_assigned), so the full history is rebuilt by every
-- build and needs no state kept between builds.
-- The windows run over the wide rows (one per client and as-of date, every segment type in
-- its own column) and only then unpivot: windows partitioned by client and segment type over
-- the unpivoted rows, six times as many, ran out of the 4 GB limit at bank-1m.
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja loops over the segment types)
{%- set segment_types = {
    'client_type': 'client_type',
    'value_tier': 'value_tier',
    'lifecycle': 'lifecycle_stage',
    'rfm': 'rfm_segment',
    'digital_engagement': 'digital_engagement',
    'salary_client': 'salary_status',
} %}
with

assigned as (
    select * from {{ ref('int_client_segments_assigned') }}
),

evaluations as (
    select
        golden_client_id,
        as_of_date,
        lead(as_of_date) over by_client as next_evaluation_date,
        {%- for segment_type, column in segment_types.items() %}
        {{ column }} as {{ segment_type }},
        coalesce(
            {{ column }} <> lag({{ column }}) over by_client, true
        ) as {{ segment_type }}_is_change{{ ',' if not loop.last }}
        {%- endfor %}
    from assigned
    window by_client as (partition by golden_client_id order by as_of_date)
),

stretches as (
    select
        golden_client_id,
        as_of_date,
        next_evaluation_date,
        {%- for segment_type in segment_types %}
        {{ segment_type }},
        sum(case when {{ segment_type }}_is_change then 1 else 0 end) over (
            by_client rows between unbounded preceding and current row
        ) as {{ segment_type }}_stretch{{ ',' if not loop.last }}
        {%- endfor %}
    from evaluations
    window by_client as (partition by golden_client_id order by as_of_date)
),

evaluated_segments as (
    unpivot stretches
    on
        {%- for segment_type in segment_types %}
        ({{ segment_type }}, {{ segment_type }}_stretch) as {{ segment_type }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    into name segment_type value segment, stretch_number
),

memberships as (
    select
        golden_client_id,
        segment_type,
        segment,
        min(as_of_date) as valid_from_date,
        max(as_of_date) as last_evaluated_date,
        -- The evaluation after the stretch's last one starts the next stretch; a stretch that
        -- holds the client's last evaluation (whose next date is empty) is the current one.
        case
            when count(next_evaluation_date) = count(*) then max(next_evaluation_date)
        end as next_stretch_date
    from evaluated_segments
    group by golden_client_id, segment_type, segment, stretch_number
)

select
    golden_client_id,
    segment_type,
    segment,
    valid_from_date,
    last_evaluated_date,
    -- The day before the next stretch starts; empty for the current membership.
    next_stretch_date - 1 as valid_to_date,
    next_stretch_date is null as is_current
from memberships
