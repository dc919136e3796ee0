-- What each golden client did on each day they did anything: the facts aggregated once per
-- client and day, so the segment rules and the daily KPIs never rescan the facts. Days without
-- activity have no row (a dense client × day table would hold 365 M rows on bank-1m). The three
-- sources are stacked and summed once: a union and three joins on client and day cost four
-- times as much on a 20,000-person bank. Sums are cast back to decimal(18, 2) and bigint:
-- DuckDB widens them to 128-bit types, whose later sums are several times slower. Incremental:
-- a build rewrites only the clients and days its new loads and golden-id changes touch
-- (macros/client_refresh_scope.sql), whose pre-hook reads:
-- depends_on: {{ ref('int_crosswalk_changes_dated') }}
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='append',
        pre_hook=[
            "{{ create_client_refresh_scope() }}",
            "{{ delete_client_rows_to_refresh('activity_date') }}",
        ],
        post_hook="{{ drop_client_refresh_scope() }}",
    )
}}

with

postings as (
    select
        golden_client_id,
        posting_date as activity_date,
        -- An operation is something the client did: a posting they ordered in ДБО, at the
        -- office or at an ATM; automatic postings (salary, interest, fees) are not theirs.
        case when channel <> 'Автоматически' then 1 else 0 end as operations_count,
        case when channel <> 'Автоматически' then amount_rub else 0 end as operations_amount_rub,
        case when transaction_type = 'salary_credit' then amount_rub else 0 end
            as salary_credit_rub,
        case when transaction_type = 'fee' and direction = 'out' then amount_rub else 0 end
            as fee_rub,
        case when transaction_type = 'interest' and direction = 'in' then amount_rub else 0 end
            as interest_paid_rub,
        0 as card_spend_rub,
        0 as spend_groceries_rub,
        0 as spend_restaurants_rub,
        0 as spend_transport_rub,
        0 as spend_travel_rub,
        0 as spend_retail_rub,
        0 as logins_count,
        0 as contact_center_contacts_count,
        0 as complaints_count
    from {{ ref('fct_transactions') }}
    where golden_client_id is not null
),

cards as (
    select
        golden_client_id,
        -- The Moscow date of the card use: fct_card_transactions.transaction_date is the
        -- authorization's business date, which is the snapshot date for every card use of
        -- the initial full load (a year of history on one day).
        {{ to_moscow_date('transaction_at') }} as activity_date,
        1 as operations_count,
        amount_rub as operations_amount_rub,
        0 as salary_credit_rub,
        0 as fee_rub,
        0 as interest_paid_rub,
        case when transaction_kind = 'purchase' then amount_rub else 0 end as card_spend_rub,
        case
            when transaction_kind = 'purchase' and mcc_category = 'groceries' then amount_rub
            else 0
        end as spend_groceries_rub,
        case
            when transaction_kind = 'purchase' and mcc_category = 'restaurants' then amount_rub
            else 0
        end as spend_restaurants_rub,
        case
            when
                transaction_kind = 'purchase' and mcc_category in ('transport', 'fuel', 'auto')
                then amount_rub
            else 0
        end as spend_transport_rub,
        case
            when transaction_kind = 'purchase' and mcc_category = 'travel' then amount_rub
            else 0
        end as spend_travel_rub,
        case
            when
                transaction_kind = 'purchase'
                and mcc_category in ('general_retail', 'clothing', 'electronics', 'home')
                then amount_rub
            else 0
        end as spend_retail_rub,
        0 as logins_count,
        0 as contact_center_contacts_count,
        0 as complaints_count
    from {{ ref('fct_card_transactions') }}
    -- Money that moved: approved and not reversed (declines and reversals are not operations).
    where
        golden_client_id is not null
        and match_status in ('matched', 'auth_only', 'clearing_only')
),

contacts as (
    select
        golden_client_id,
        occurred_date as activity_date,
        0 as operations_count,
        0 as operations_amount_rub,
        0 as salary_credit_rub,
        0 as fee_rub,
        0 as interest_paid_rub,
        0 as card_spend_rub,
        0 as spend_groceries_rub,
        0 as spend_restaurants_rub,
        0 as spend_transport_rub,
        0 as spend_travel_rub,
        0 as spend_retail_rub,
        case when interaction_type = 'dbo_login' and not is_failed then 1 else 0 end
            as logins_count,
        case when interaction_type in ('call_inbound', 'chat') then 1 else 0 end
            as contact_center_contacts_count,
        case when interaction_type = 'complaint' then 1 else 0 end as complaints_count
    from {{ ref('fct_interactions') }}
    where golden_client_id is not null
),

stacked as (
    select * from postings
    union all
    select * from cards
    union all
    select * from contacts
)

select
    stacked.golden_client_id,
    stacked.activity_date,
    cast(sum(stacked.operations_count) as bigint) as operations_count,
    cast(sum(stacked.operations_amount_rub) as decimal(18, 2)) as operations_amount_rub,
    cast(sum(stacked.salary_credit_rub) as decimal(18, 2)) as salary_credit_rub,
    cast(sum(stacked.fee_rub) as decimal(18, 2)) as fee_rub,
    cast(sum(stacked.interest_paid_rub) as decimal(18, 2)) as interest_paid_rub,
    cast(sum(stacked.card_spend_rub) as decimal(18, 2)) as card_spend_rub,
    cast(sum(stacked.spend_groceries_rub) as decimal(18, 2)) as spend_groceries_rub,
    cast(sum(stacked.spend_restaurants_rub) as decimal(18, 2)) as spend_restaurants_rub,
    cast(sum(stacked.spend_transport_rub) as decimal(18, 2)) as spend_transport_rub,
    cast(sum(stacked.spend_travel_rub) as decimal(18, 2)) as spend_travel_rub,
    cast(sum(stacked.spend_retail_rub) as decimal(18, 2)) as spend_retail_rub,
    cast(sum(stacked.logins_count) as bigint) as logins_count,
    cast(sum(stacked.contact_center_contacts_count) as bigint) as contact_center_contacts_count,
    cast(sum(stacked.complaints_count) as bigint) as complaints_count,
    {{ client_refresh_watermarks() }},
    {{ written_by_this_run() }} as _written_by
from stacked
{{ join_client_refresh_scope('stacked.golden_client_id', 'stacked.activity_date') }}
group by stacked.golden_client_id, stacked.activity_date
