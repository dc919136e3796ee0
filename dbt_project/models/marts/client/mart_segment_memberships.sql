-- Segment history: one row per golden client × segment type × stretch of consecutive as-of
-- dates with the same segment. The rules are evaluated at every month end of the data and at
-- the business date (int_client_segments_assigned). Incremental by evaluation date: a build
-- evaluates every client again from the first date whose client states changed and continues
-- the stretches open at that date, which it updates when they end; the stretches that ended
-- before, and those still current, are kept (macros/segment_memberships_dates.sql).
-- One window pass over the wide rows (one per client and as-of date, every segment type in
-- its own column) marks where a segment changes; only those rows, the starts of stretches, are
-- unpivoted, and each stretch ends where the next one of its type starts. Windows partitioned
-- by client and segment type over every unpivoted row, six times as many, ran out of the 4 GB
-- limit at bank-1m, and grouping them into stretches took a third of the build.
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja loops over the segment types)
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='merge',
        unique_key=['golden_client_id', 'segment_type', 'valid_from_date'],
        merge_update_columns=[
            'last_evaluated_date', 'valid_to_date', 'is_current',
            '_evaluated_through', '_loads_through', '_identity_through', '_segment_rules',
        ],
        on_schema_change='fail',
        pre_hook="{{ delete_segment_memberships_to_recompute() }}",
    )
}}
{%- set segment_types = {
    'client_type': 'client_type',
    'value_tier': 'value_tier',
    'lifecycle': 'lifecycle_stage',
    'rfm': 'rfm_segment',
    'digital_engagement': 'digital_engagement',
    'salary_client': 'salary_status',
} %}
{%- set from_day = segment_memberships_recompute_from() if is_incremental() else none %}
{%- set from_day_sql = "date '" ~ from_day ~ "'" %}
with

assigned as (
    select
        golden_client_id,
        as_of_date,
        {%- for segment_type, column in segment_types.items() %}
        {{ column }},
        as_of_date as {{ segment_type }}_valid_from_date,
        false as {{ segment_type }}_was_current{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_client_segments_assigned') }}
    {%- if from_day %}
    -- a constant bound, which reaches through the RFM ranks' windows by date
    where as_of_date >= {{ from_day_sql }}
    {%- endif %}
),

{%- if from_day %}

previous_evaluations as (
    select
        golden_client_id,
        max(as_of_date) as as_of_date
    from {{ ref('fct_client_states') }}
    where as_of_date < {{ from_day_sql }}
    group by golden_client_id
),

open_memberships as (
    -- The stretches open at the first date computed, as the evaluation they hold on the
    -- client's last evaluation date before it, each starting on its stored first date and
    -- marked when stored as current.
    select
        open_stretches.golden_client_id,
        previous_evaluations.as_of_date,
        {%- for segment_type, column in segment_types.items() %}
        max(open_stretches.segment) filter (
            where open_stretches.segment_type = '{{ segment_type }}'
        ) as {{ column }},
        max(open_stretches.valid_from_date) filter (
            where open_stretches.segment_type = '{{ segment_type }}'
        ) as {{ segment_type }}_valid_from_date,
        bool_or(open_stretches.is_current) filter (
            where open_stretches.segment_type = '{{ segment_type }}'
        ) as {{ segment_type }}_was_current{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as open_stretches
    inner join previous_evaluations
        on open_stretches.golden_client_id = previous_evaluations.golden_client_id
    where
        open_stretches.valid_from_date < {{ from_day_sql }}
        and (
            open_stretches.valid_to_date is null
            or open_stretches.valid_to_date >= {{ from_day_sql }} - 1
        )
    group by open_stretches.golden_client_id, previous_evaluations.as_of_date
),

evaluated as (
    select * from assigned
    -- (the same columns in the same order)
    union all
    select * from open_memberships
),

{%- else %}

evaluated as (
    select * from assigned
),

{%- endif %}

evaluations as (
    select
        golden_client_id,
        as_of_date,
        lag(as_of_date) over by_client as previous_evaluation_date,
        {%- for segment_type, column in segment_types.items() %}
        {{ column }} as {{ segment_type }},
        coalesce(
            {{ column }} <> lag({{ column }}) over by_client, true
        ) as {{ segment_type }}_is_change,
        {{ segment_type }}_valid_from_date,
        {{ segment_type }}_was_current{{ ',' if not loop.last }}
        {%- endfor %}
    from evaluated
    window by_client as (partition by golden_client_id order by as_of_date)
),

evaluated_segments as (
    unpivot evaluations
    on
        {%- for segment_type in segment_types %}
        (
            {{ segment_type }},
            {{ segment_type }}_is_change,
            {{ segment_type }}_valid_from_date,
            {{ segment_type }}_was_current
        ) as {{ segment_type }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    into name segment_type value segment, is_change, valid_from_date, was_current
),

stretch_starts as (
    select
        golden_client_id,
        segment_type,
        segment,
        as_of_date,
        valid_from_date,
        was_current,
        previous_evaluation_date
    from evaluated_segments
    where is_change
),

memberships as (
    select
        golden_client_id,
        segment_type,
        segment,
        valid_from_date,
        was_current,
        -- A stretch lasts up to the evaluation before the next stretch of its type starts;
        -- the last stretch (no next one) holds every evaluation since and is current.
        lead(valid_from_date) over by_type as next_stretch_date,
        lead(previous_evaluation_date) over by_type as last_evaluated_date
    from stretch_starts
    window by_type as (partition by golden_client_id, segment_type order by as_of_date)
),

build_stamps as (
    -- what the client states held when the rows were evaluated
    select
        max(as_of_date) as evaluated_through,
        max(_loads_through) as loads_through,
        max(_identity_through) as identity_through
    from {{ ref('fct_client_states') }}
)

select
    memberships.golden_client_id,
    memberships.segment_type,
    memberships.segment,
    memberships.valid_from_date,
    memberships.last_evaluated_date,
    -- The day before the next stretch starts; empty for the current membership.
    memberships.next_stretch_date - 1 as valid_to_date,
    memberships.next_stretch_date is null as is_current,
    build_stamps.evaluated_through as _evaluated_through,
    build_stamps.loads_through as _loads_through,
    build_stamps.identity_through as _identity_through,
    {{ segment_rules_fingerprint() }} as _segment_rules
from memberships
cross join build_stamps
{%- if from_day %}
-- a membership stored as current that still is stays as stored
where not (memberships.was_current and memberships.next_stretch_date is null)
{%- endif %}
