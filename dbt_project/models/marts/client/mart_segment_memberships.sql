-- Segment history: one row per golden client × segment type × stretch of consecutive as-of
-- dates with the same segment. The rules are evaluated at every month end of the data and at
-- the business date (int_client_segments_assigned), so the full history is rebuilt by every
-- build and needs no state kept between builds.
with

assigned as (
    select * from {{ ref('int_client_segments_assigned') }}
),

evaluations as (
    unpivot (
        select
            golden_client_id,
            as_of_date,
            client_type,
            value_tier,
            lifecycle_stage as lifecycle,
            rfm_segment as rfm,
            digital_engagement,
            salary_status as salary_client
        from assigned
    )
    on client_type, value_tier, lifecycle, rfm, digital_engagement, salary_client
    into name segment_type value segment
),

changes as (
    select
        *,
        coalesce(
            segment
            <> lag(segment) over (
                partition by golden_client_id, segment_type order by as_of_date
            ),
            true
        ) as is_change
    from evaluations
),

stretches as (
    select
        *,
        sum(case when is_change then 1 else 0 end) over (
            partition by golden_client_id, segment_type
            order by as_of_date
            rows between unbounded preceding and current row
        ) as stretch_number
    from changes
),

memberships as (
    select
        golden_client_id,
        segment_type,
        segment,
        stretch_number,
        min(as_of_date) as valid_from_date,
        max(as_of_date) as last_evaluated_date
    from stretches
    group by golden_client_id, segment_type, segment, stretch_number
)

select
    golden_client_id,
    segment_type,
    segment,
    valid_from_date,
    last_evaluated_date,
    -- The day before the next stretch starts; empty for the current membership.
    lead(valid_from_date) over (
        partition by golden_client_id, segment_type order by valid_from_date
    ) - 1 as valid_to_date,
    lead(valid_from_date) over (
        partition by golden_client_id, segment_type order by valid_from_date
    ) is null as is_current
from memberships
