-- An asset check on mart_client_360 (it reads two relations; dagster-dbt needs the ref).
{{ config(meta={'dagster': {'ref': {'name': 'mart_client_360'}}}) }}

-- Golden clients of dim_clients without a row in mart_client_360, and rows of mart_client_360
-- that are no golden client (duplicates are caught by the unique test on the mart's key).
select
    coalesce(clients.golden_client_id, client_360.golden_client_id) as golden_client_id,
    clients.golden_client_id is null as is_unknown_client
from {{ source('golden_record', 'dim_clients') }} as clients
full outer join {{ ref('mart_client_360') }} as client_360
    on clients.golden_client_id = client_360.golden_client_id
where clients.golden_client_id is null or client_360.golden_client_id is null
