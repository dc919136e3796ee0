-- What each golden client did on each day they did anything: the facts aggregated once per
-- client and day, so the segment rules and the daily KPIs never rescan the facts. Days without
-- activity have no row (a dense client × day table would hold 365 M rows on bank-1m).
with

postings as (
    select
        golden_client_id,
        posting_date as activity_date,
        -- An operation is something the client did: a posting they ordered in ДБО, at the
        -- office or at an ATM; automatic postings (salary, interest, fees) are not theirs.
        count(*) filter (where channel <> 'Автоматически') as postings_count,
        sum(amount_rub) filter (where channel <> 'Автоматически') as postings_amount_rub,
        sum(amount_rub) filter (where transaction_type = 'salary_credit') as salary_credit_rub,
        sum(amount_rub) filter (
            where transaction_type = 'fee' and direction = 'out'
        ) as fee_rub,
        sum(amount_rub) filter (
            where transaction_type = 'interest' and direction = 'in'
        ) as interest_paid_rub
    from {{ ref('fct_transactions') }}
    where golden_client_id is not null
    group by golden_client_id, posting_date
),

cards as (
    select
        golden_client_id,
        -- The Moscow date of the card use: fct_card_transactions.transaction_date is the
        -- authorization's business date, which is the snapshot date for every card use of
        -- the initial full load (a year of history on one day).
        {{ to_moscow_date('transaction_at') }} as activity_date,
        count(*) as card_operations_count,
        sum(amount_rub) as card_operations_amount_rub,
        sum(amount_rub) filter (where transaction_kind = 'purchase') as card_spend_rub,
        sum(amount_rub) filter (
            where transaction_kind = 'purchase' and mcc_category = 'groceries'
        ) as spend_groceries_rub,
        sum(amount_rub) filter (
            where transaction_kind = 'purchase' and mcc_category = 'restaurants'
        ) as spend_restaurants_rub,
        sum(amount_rub) filter (
            where transaction_kind = 'purchase' and mcc_category in ('transport', 'fuel', 'auto')
        ) as spend_transport_rub,
        sum(amount_rub) filter (
            where transaction_kind = 'purchase' and mcc_category = 'travel'
        ) as spend_travel_rub,
        sum(amount_rub) filter (
            where transaction_kind = 'purchase' and mcc_category in ('general_retail', 'clothing', 'electronics', 'home')
        ) as spend_retail_rub
    from {{ ref('fct_card_transactions') }}
    -- Money that moved: approved and not reversed (declines and reversals are not operations).
    where
        golden_client_id is not null
        and match_status in ('matched', 'auth_only', 'clearing_only')
    group by golden_client_id, {{ to_moscow_date('transaction_at') }}
),

contacts as (
    select
        golden_client_id,
        occurred_date as activity_date,
        count(*) filter (where interaction_type = 'dbo_login' and not is_failed) as logins_count,
        count(*) filter (
            where interaction_type in ('call_inbound', 'chat')
        ) as contact_center_contacts_count,
        count(*) filter (where interaction_type = 'complaint') as complaints_count
    from {{ ref('fct_interactions') }}
    where golden_client_id is not null
    group by golden_client_id, occurred_date
),

client_days as (
    select
        golden_client_id,
        activity_date
    from postings
    union
    select
        golden_client_id,
        activity_date
    from cards
    union
    select
        golden_client_id,
        activity_date
    from contacts
)

select
    client_days.golden_client_id,
    client_days.activity_date,
    coalesce(postings.postings_count, 0) + coalesce(cards.card_operations_count, 0)
        as operations_count,
    coalesce(postings.postings_amount_rub, 0) + coalesce(cards.card_operations_amount_rub, 0)
        as operations_amount_rub,
    coalesce(postings.salary_credit_rub, 0) as salary_credit_rub,
    coalesce(postings.fee_rub, 0) as fee_rub,
    coalesce(postings.interest_paid_rub, 0) as interest_paid_rub,
    coalesce(cards.card_spend_rub, 0) as card_spend_rub,
    coalesce(cards.spend_groceries_rub, 0) as spend_groceries_rub,
    coalesce(cards.spend_restaurants_rub, 0) as spend_restaurants_rub,
    coalesce(cards.spend_transport_rub, 0) as spend_transport_rub,
    coalesce(cards.spend_travel_rub, 0) as spend_travel_rub,
    coalesce(cards.spend_retail_rub, 0) as spend_retail_rub,
    coalesce(contacts.logins_count, 0) as logins_count,
    coalesce(contacts.contact_center_contacts_count, 0) as contact_center_contacts_count,
    coalesce(contacts.complaints_count, 0) as complaints_count
from client_days
left join postings
    on
        client_days.golden_client_id = postings.golden_client_id
        and client_days.activity_date = postings.activity_date
left join cards
    on
        client_days.golden_client_id = cards.golden_client_id
        and client_days.activity_date = cards.activity_date
left join contacts
    on
        client_days.golden_client_id = contacts.golden_client_id
        and client_days.activity_date = contacts.activity_date
