-- Pairs of memberships of one client and segment type whose validity intervals overlap (an
-- open interval runs to infinity), and memberships that end before they start or whose last
-- evaluation lies outside them (it is empty exactly while current).
-- A daily build checks the memberships open or ended recently (macros/data_tests_scope.sql):
-- those its increments write.
with

memberships as (
    select
        golden_client_id,
        segment_type,
        segment,
        valid_from_date,
        last_evaluated_date,
        is_current,
        coalesce(valid_to_date, date '9999-12-31') as valid_to_date,
        row_number() over () as membership_number
    from {{ ref('mart_segment_memberships') }}
    where {{ in_data_tests_scope(var('data_tests_recent_rows')['mart_segment_memberships']) }}
)

select
    first_membership.golden_client_id,
    first_membership.segment_type,
    first_membership.valid_from_date,
    second_membership.valid_from_date as other_valid_from_date
from memberships as first_membership
inner join memberships as second_membership
    on
        first_membership.golden_client_id = second_membership.golden_client_id
        and first_membership.segment_type = second_membership.segment_type
        and first_membership.membership_number < second_membership.membership_number
        and first_membership.valid_from_date <= second_membership.valid_to_date
        and first_membership.valid_to_date >= second_membership.valid_from_date
union all
select
    golden_client_id,
    segment_type,
    valid_from_date,
    null as other_valid_from_date
from memberships
where
    valid_to_date < valid_from_date
    or (last_evaluated_date is null) <> is_current
    or last_evaluated_date not between valid_from_date and valid_to_date
