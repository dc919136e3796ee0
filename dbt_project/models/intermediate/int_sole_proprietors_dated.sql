-- Since when each person who is also a sole proprietor (dim_clients.client_type ИП) is one: the
-- earliest registration with the bank of the person's ИП records in АБС. The client states and
-- the cross-sell features read the client type at their as-of date from it (client_type_on,
-- macros/client_states.sql), so a person who registers as an ИП is a ФЛ in the months before
-- and history is not rewritten. A client whose ИП records carry no registration date has no
-- row and counts as ИП at every date, as the golden record states it.
with

sole_proprietor_records as (
    select
        golden_client_id,
        source_record_id as abs_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}
    where
        source = 'abs'
        and role = 'sole_proprietor'
),

abs_clients as (
    select
        abs_client_id,
        registration_date
    from {{ ref('stg_abs__clients') }}
    where client_type = 'ИП'
)

select
    sole_proprietor_records.golden_client_id,
    min(abs_clients.registration_date) as sole_proprietor_since_date
from sole_proprietor_records
inner join abs_clients on sole_proprietor_records.abs_client_id = abs_clients.abs_client_id
where abs_clients.registration_date is not null
group by sole_proprietor_records.golden_client_id
