{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        post_hook='{{ refresh_golden_client_ids() }}',
        unique_key='card_transaction_id',
    )
}}

-- depends_on: {{ ref('stg_cards__authorizations') }}, {{ ref('stg_cards__clearings') }}
-- (read by the daily build's matching, which dbt's parser does not see)

with

matched as (

    {% if is_incremental() %}
        {{ match_new_card_transactions(
            ref('stg_cards__authorizations'), ref('stg_cards__clearings')
        ) }}
    {% else %}
        select * from {{ ref('int_card_transactions_matched') }}
    {% endif %}

),

cards as (

    select
        card_id,
        contract_id,
        holder_id,
        account_number,
        card_type
    from {{ ref('stg_cards__cards') }}

),

accounts as (

    select
        account_number,
        client_record_key,
        golden_client_id
    from {{ ref('dim_accounts') }}

),

holders as (

    select
        crosswalk.source_record_id as holder_id,
        crosswalk.record_key,
        crosswalk.golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }} as crosswalk
    where crosswalk.source = 'cards'

),

mcc as (

    select * from {{ ref('dim_mcc_categories') }}

),

transactions as (

    select
        matched.card_transaction_id,
        matched.card_id,
        matched.rrn,
        cards.contract_id,
        cards.account_number,
        cards.card_type,
        matched.match_status,
        matched.response_code,
        matched.is_reversed,
        matched.clearing_date,
        matched.mcc,
        matched.merchant_id,
        matched.pos_entry_mode,
        matched._authorization_load_id,
        matched._clearing_load_id,
        matched._reversal_load_id,
        -- the card account's owner in АБС; the card holder when the account is unknown there
        -- (key and id from the same record: an АБС client outside the crosswalk falls back to
        -- the holder for both, or the daily refresh would see a stale id on every run)
        coalesce(accounts.golden_client_id, holders.golden_client_id) as golden_client_id,
        case
            when accounts.golden_client_id is not null then accounts.client_record_key
            else holders.record_key
        end as client_record_key,
        case
            when matched.processing_code = '010000' then 'cash_withdrawal' else 'purchase'
        end as transaction_kind,
        coalesce(matched.authorized_at, matched.cleared_transaction_at) as transaction_at,
        -- the Moscow calendar date of the transaction (staging times are UTC), not the date of
        -- the file that delivered it: the initial snapshot delivers months of history at once
        {{ to_moscow_date('coalesce(matched.authorized_at, matched.cleared_transaction_at)') }}
            as transaction_date,
        coalesce(mcc.mcc_category, 'other') as mcc_category,
        trim(left(matched.merchant_name_location, 25)) as merchant_name,
        trim(substr(matched.merchant_name_location, 26, 13)) as merchant_city,
        trim(substr(matched.merchant_name_location, 39, 2)) as merchant_country_code,
        matched.authorized_amount_minor / 100.0 as authorized_amount_rub,
        matched.cleared_amount_minor / 100.0 as cleared_amount_rub,
        -- what the client finally paid: the clearing when there is one, nothing for a declined
        -- or reversed request, the authorized (held) amount while it awaits its clearing
        case
            when matched.match_status in ('matched', 'clearing_only')
                then matched.cleared_amount_minor / 100.0
            when matched.match_status = 'auth_only' then matched.authorized_amount_minor / 100.0
            else 0
        end as amount_rub,
        coalesce(matched.authorization_business_date, matched.clearing_business_date)
            as _business_date
    from matched
    left join cards on matched.card_id = cards.card_id
    left join accounts on cards.account_number = accounts.account_number
    left join holders on cards.holder_id = holders.holder_id
    left join mcc on matched.mcc = mcc.mcc

)

select
    card_transaction_id,
    card_id,
    rrn,
    contract_id,
    account_number,
    card_type,
    golden_client_id,
    client_record_key,
    transaction_kind,
    match_status,
    response_code,
    is_reversed,
    transaction_at,
    transaction_date,
    clearing_date,
    mcc,
    mcc_category,
    merchant_id,
    merchant_name,
    merchant_city,
    merchant_country_code,
    pos_entry_mode,
    cast(authorized_amount_rub as decimal(18, 2)) as authorized_amount_rub,
    cast(cleared_amount_rub as decimal(18, 2)) as cleared_amount_rub,
    cast(amount_rub as decimal(18, 2)) as amount_rub,
    _business_date,
    _authorization_load_id,
    _clearing_load_id,
    _reversal_load_id,
    {{ written_by_this_run() }} as _written_by
from transactions
{% if is_incremental() %}
    where
        {{ core_rows_to_refresh({
            '_authorization_load_id': ['cards__authorizations'],
            '_clearing_load_id': ['cards__clearings'],
            '_reversal_load_id': ['cards__authorizations'],
        }) }}
{% endif %}
