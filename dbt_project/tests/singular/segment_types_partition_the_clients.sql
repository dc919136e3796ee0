-- An asset check on mart_segment_memberships (it reads two relations; dagster-dbt needs the ref).
{{ config(meta={'dagster': {'ref': {'name': 'mart_segment_memberships'}}}) }}

-- Every segment type partitions the golden clients: each client has exactly one current
-- membership of each type (lifecycle, value tier, client type, RFM, digital engagement, salary
-- client). Returns the client × segment type pairs with none or more than one.
with

segment_types as (
    select distinct segment_type from {{ ref('mart_segment_memberships') }}
),

current_memberships as (
    select
        golden_client_id,
        segment_type,
        count(*) as memberships_count
    from {{ ref('mart_segment_memberships') }}
    where is_current
    group by golden_client_id, segment_type
)

select
    clients.golden_client_id,
    segment_types.segment_type,
    coalesce(current_memberships.memberships_count, 0) as memberships_count
from {{ source('golden_record', 'dim_clients') }} as clients
cross join segment_types
left join current_memberships
    on
        clients.golden_client_id = current_memberships.golden_client_id
        and segment_types.segment_type = current_memberships.segment_type
where coalesce(current_memberships.memberships_count, 0) <> 1
