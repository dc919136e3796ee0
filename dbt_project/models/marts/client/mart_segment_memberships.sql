-- Segment history: one row per golden client × segment type × stretch of consecutive as-of
-- dates with the same segment. The rules are evaluated at every month end of the data and at
-- the business date (int_client_segments_assigned), so the full history is rebuilt by every
-- build and needs no state kept between builds.
-- One window pass over the wide rows (one per client and as-of date, every segment type in
-- its own column) marks where a segment changes; only those rows, the starts of stretches, are
-- unpivoted, and each stretch ends where the next one of its type starts. Windows partitioned
-- by client and segment type over every unpivoted row, six times as many, ran out of the 4 GB
-- limit at bank-1m, and grouping them into stretches took a third of the build.
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
        lag(as_of_date) over by_client as previous_evaluation_date,
        max(as_of_date) over (
            by_client rows between unbounded preceding and unbounded following
        ) as last_evaluation_date,
        {%- for segment_type, column in segment_types.items() %}
        {{ column }} as {{ segment_type }},
        coalesce(
            {{ column }} <> lag({{ column }}) over by_client, true
        ) as {{ segment_type }}_is_change{{ ',' if not loop.last }}
        {%- endfor %}
    from assigned
    window by_client as (partition by golden_client_id order by as_of_date)
),

evaluated_segments as (
    unpivot evaluations
    on
        {%- for segment_type in segment_types %}
        ({{ segment_type }}, {{ segment_type }}_is_change) as {{ segment_type }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    into name segment_type value segment, is_change
),

stretch_starts as (
    select
        golden_client_id,
        segment_type,
        segment,
        as_of_date,
        previous_evaluation_date,
        last_evaluation_date
    from evaluated_segments
    where is_change
),

memberships as (
    select
        golden_client_id,
        segment_type,
        segment,
        as_of_date as valid_from_date,
        -- A stretch lasts up to the evaluation before the next stretch of its type starts;
        -- the last stretch (no next one) holds the client's last evaluation and is current.
        lead(as_of_date) over by_type as next_stretch_date,
        coalesce(
            lead(previous_evaluation_date) over by_type, last_evaluation_date
        ) as last_evaluated_date
    from stretch_starts
    window by_type as (partition by golden_client_id, segment_type order by as_of_date)
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
