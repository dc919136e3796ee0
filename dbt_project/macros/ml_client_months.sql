{#
  The rows of ml_features__client_months: one row per retail golden client × calendar month of
  the history whose end the data has reached — of every client, or of those of `scope` (a
  relation with a column golden_client_id), whose inputs are then read alone; of every month,
  or of those starting on or after `from_date` (a SQL date), whose inputs are then read from
  that date alone. An increment computes the months of its refresh scope and the month just
  completed so (models/ml/ml_features__client_months.sql).
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the models calling it lint what it renders)
{% macro ml_client_months(scope=none, from_date=none) -%}
with

history as (

    select
        min(posting_date) as first_date,
        max(posting_date) as last_date
    from {{ ref('fct_transactions') }}

),

months as (

    -- Months whose end the data has reached: a month still running is no as-of date (its
    -- counts cover part of a month, which the models would read as a drop in activity), so
    -- mid-month the latest as-of date is the previous month end.
    select distinct
        cast(dates.month_start_date as date) as month_start_date,
        cast(dates.month_end_date as date) as month_end_date
    from {{ ref('dim_dates') }} as dates
    cross join history
    where
        dates.date_day between history.first_date and history.last_date
        and dates.month_end_date <= history.last_date
        {{- on_or_after('dates.month_start_date', from_date) }}

),

retail_clients as (

    select distinct contracts.golden_client_id
    from {{ ref('fct_contracts') }} as contracts
    inner join {{ source('golden_record', 'dim_clients') }} as clients
        on contracts.golden_client_id = clients.golden_client_id
    where
        contracts.client_segment = 'retail' and clients.client_type in ('ФЛ', 'ИП')
        {{- in_client_scope('contracts.golden_client_id', scope) }}

),

transactions as (

    select
        golden_client_id,
        cast(date_trunc('month', posting_date) as date) as month_start_date,
        sum(amount_rub) filter (
            where transaction_type = 'salary_credit'
        ) as salary_rub,
        sum(amount_rub) filter (
            where transaction_type = 'own_account_other_bank' and direction = 'out'
        ) as own_account_out_rub,
        count(*) filter (
            where transaction_type = 'own_account_other_bank' and direction = 'out'
        ) as own_account_out_count,
        count(*) filter (where transaction_type = 'sbp_out') as sbp_out_count,
        sum(amount_rub) filter (where transaction_type = 'pension_benefit') as pension_rub,
        count(*) filter (
            where transaction_type in ({{ personal_transfer_types() }})
        ) as personal_transfer_count,
        -- The geometric mean: what a person sends or receives by SBP or card to card scales
        -- with their income, scattered by a factor, so the mean logarithm traces the income
        -- of clients whose salary is not paid here (ln of a cent at least: DuckDB computes
        -- it for every row before the filter). In kopecks: the double's last bits follow the
        -- order DuckDB's threads add the rows in, which an increment and a full build do not
        -- share.
        cast(exp(avg(ln(greatest(amount_rub, 0.01))) filter (
            where transaction_type in ({{ personal_transfer_types() }})
        )) as decimal(18, 2)) as personal_transfer_typical_rub,
        sum(amount_rub) filter (
            where direction = 'in' and transaction_type not in ('interest', 'deposit_topup', 'deposit_withdrawal', 'loan_issue')
        ) as inflow_rub,
        sum(amount_rub) filter (
            where direction = 'out' and transaction_type not in ('fee', 'deposit_topup', 'deposit_withdrawal', 'loan_repayment')
        ) as outflow_rub,
        max(posting_date) filter (
            where transaction_type not in ('interest', 'fee')
        ) as last_transaction_date
    from {{ ref('fct_transactions') }}
    where
        golden_client_id is not null
        {{- in_client_scope('golden_client_id', scope) }}
        {{- on_or_after('posting_date', from_date) }}
    group by all

),

cards as (

    -- Dated by the moment of use (the Moscow date of transaction_at = transaction_date).
    select
        golden_client_id,
        cast(date_trunc('month', {{ to_moscow_date('transaction_at') }}) as date) as month_start_date,
        count(*) as card_purchase_count,
        max({{ to_moscow_date('transaction_at') }}) as last_card_date
    from {{ ref('fct_card_transactions') }}
    where
        golden_client_id is not null and match_status not in ('declined', 'reversed')
        {{- in_client_scope('golden_client_id', scope) }}
        {{- on_or_after('transaction_date', from_date) }}
    group by all

),

interactions as (

    select
        golden_client_id,
        cast(date_trunc('month', occurred_date) as date) as month_start_date,
        count(*) filter (
            where interaction_type = 'dbo_login' and not is_failed
        ) as login_count,
        max(occurred_date) filter (
            where interaction_type = 'dbo_login' and not is_failed
        ) as last_login_date,
        count(*) filter (where interaction_type = 'call_inbound') as inbound_call_count,
        count(*) filter (where interaction_type = 'complaint') as complaint_count,
        count(*) filter (
            where
            interaction_type in ('call_inbound', 'chat')
            and topic in ({{ "'" ~ var('ml_churn_signal_topics') | join("', '") ~ "'" }})
        ) as leaving_topic_contact_count,
        count(*) filter (
            where
            interaction_type in ('call_inbound', 'chat')
            and topic = 'no_debt_certificate'
        ) as certificate_request_count,
        min(score) filter (where interaction_type = 'survey_nps') as nps_min_score,
        max(occurred_date) filter (
            where interaction_type in ('call_inbound', 'chat', 'dbo_login', 'complaint')
        ) as last_contact_date
    from {{ ref('fct_interactions') }}
    where
        golden_client_id is not null
        {{- in_client_scope('golden_client_id', scope) }}
        {{- on_or_after('occurred_date', from_date) }}
    group by all

),

app_events as (

    select
        crosswalk.golden_client_id,
        cast(date_trunc('month', {{ to_moscow_date('events.event_at') }}) as date) as month_start_date,
        count(*) filter (where events.event_type = 'sbp_me2me') as me2me_event_count,
        count(*) filter (where events.event_type = 'autopay_disable') as autopay_disable_count,
        count(*) filter (
            where events.event_type in ('requisites_share', 'statement_download')
        ) as requisites_event_count
    from {{ ref('stg_dbo__events') }} as events
    inner join {{ source('golden_record', 'dim_client_crosswalk') }} as crosswalk
        on crosswalk.record_key = 'dbo:' || events.login_id
    where
        true
        {{- in_client_scope('crosswalk.golden_client_id', scope) }}
        {%- if from_date %}
        -- the UTC bound a day early lets DuckDB skip older events; the Moscow date decides
        and events.event_at >= {{ from_date }} - interval 1 day
        {{- on_or_after(to_moscow_date('events.event_at'), from_date) }}
        {%- endif %}
    group by all

),

passive_balances as (

    -- The balance at each month end of every passive (client money) account: the latest
    -- record on or before that day (АБС writes a record only on a day with movement).
    {%- if from_date or scope %}
    -- A few months or a few clients: each account's latest monthly last record up to each
    -- month, by one aggregation over those records (at bank-1m 4 s for the month just
    -- completed, against 20 s for their ASOF join below, which DuckDB computes for every
    -- account before it applies a client filter; the daily records instead of the monthly
    -- ones: 0.8 against 0.35 s at bank-300k, the same balances).
    select
        accounts.golden_client_id,
        latest.month_start_date,
        sum(latest.closing_balance_rub) as balance_rub
    from {{ ref('dim_accounts') }} as accounts
    inner join (
        select
            balances.account_number,
            months.month_start_date,
            {{ arg_max('balances.closing_balance_rub', 'balances.month_start_date') }}
                as closing_balance_rub
        from {{ ref('int_account_months_aggregated') }} as balances
        inner join months on balances.month_start_date <= months.month_start_date
        where balances.account_number in (
            select account_number from {{ ref('dim_accounts') }}
            where
                balance_side = 'passive' and client_segment = 'retail'
                {{- in_client_scope('golden_client_id', scope) }}
        )
        group by balances.account_number, months.month_start_date
    ) as latest
        on accounts.account_number = latest.account_number
    {%- else %}
    -- Every month of every client: found among the accounts' monthly last records (an ASOF
    -- join over every daily record ran out of memory at bank-1m).
    -- (sqlfluff reads DuckDB's ASOF join as a keyword used as an identifier: RF04 off below)
    select
        accounts.golden_client_id,
        months.month_start_date,
        sum(balances.closing_balance_rub) as balance_rub
    from {{ ref('dim_accounts') }} as accounts  -- noqa: RF04
    cross join months
    asof inner join {{ ref('int_account_months_aggregated') }} as balances
        on
            accounts.account_number = balances.account_number
            and months.month_start_date >= balances.month_start_date
    {%- endif %}
    where
        accounts.balance_side = 'passive'
        and accounts.client_segment = 'retail'
        and accounts.golden_client_id is not null
        {{- in_client_scope('accounts.golden_client_id', scope) }}
    group by all

),

client_months as (

    select
        retail_clients.golden_client_id,
        months.month_start_date,
        months.month_end_date
    from retail_clients
    cross join months

),

-- Left joins of the parts on (client, month), folded by one aggregation (macros/fold_parts_by_key)
folded as (

    {{ fold_parts_by_key({
        'client_months': ['month_end_date'],
        'transactions': ['salary_rub', 'own_account_out_rub', 'own_account_out_count',
            'sbp_out_count', 'pension_rub', 'personal_transfer_count',
            'personal_transfer_typical_rub', 'inflow_rub', 'outflow_rub',
            'last_transaction_date'],
        'cards': ['card_purchase_count', 'last_card_date'],
        'interactions': ['login_count', 'last_login_date', 'inbound_call_count', 'complaint_count',
            'leaving_topic_contact_count', 'certificate_request_count', 'nps_min_score',
            'last_contact_date'],
        'app_events': ['me2me_event_count', 'autopay_disable_count', 'requisites_event_count'],
        'passive_balances': ['balance_rub'],
    }, ['golden_client_id', 'month_start_date']) }}

)

select
    golden_client_id,
    month_start_date,
    month_end_date as as_of_date,
    nps_min_score,
    last_login_date,
    last_card_date,
    coalesce(salary_rub, 0) as salary_rub,
    coalesce(own_account_out_rub, 0) as own_account_out_rub,
    coalesce(own_account_out_count, 0) as own_account_out_count,
    coalesce(sbp_out_count, 0) as sbp_out_count,
    coalesce(pension_rub, 0) as pension_rub,
    coalesce(personal_transfer_count, 0) as personal_transfer_count,
    personal_transfer_typical_rub,
    coalesce(inflow_rub, 0) as inflow_rub,
    coalesce(outflow_rub, 0) as outflow_rub,
    coalesce(card_purchase_count, 0) as card_purchase_count,
    coalesce(login_count, 0) as login_count,
    coalesce(inbound_call_count, 0) as inbound_call_count,
    coalesce(complaint_count, 0) as complaint_count,
    coalesce(leaving_topic_contact_count, 0) as leaving_topic_contact_count,
    coalesce(certificate_request_count, 0) as certificate_request_count,
    coalesce(me2me_event_count, 0) as me2me_event_count,
    coalesce(autopay_disable_count, 0) as autopay_disable_count,
    coalesce(requisites_event_count, 0) as requisites_event_count,
    coalesce(balance_rub, 0) as balance_rub,
    greatest(last_transaction_date, last_card_date, last_contact_date) as last_activity_date
from folded
{%- endmacro %}

{# Transfers between people, whose amounts follow the sender's or receiver's income. #}
{% macro personal_transfer_types() -%}
'sbp_in', 'sbp_out', 'card_to_card'
{%- endmacro %}

{# `and <column> in <scope>` when a scope narrows the clients read, nothing otherwise. #}
{% macro in_client_scope(column, scope) -%}
{%- if scope %}
        and {{ column }} in (select golden_client_id from {{ scope }})
{%- endif -%}
{%- endmacro %}

{# `and <column> >= <from_date>` when a first date narrows the months read, nothing otherwise. #}
{% macro on_or_after(column, from_date) -%}
{%- if from_date %}
        and {{ column }} >= {{ from_date }}
{%- endif -%}
{%- endmacro %}

{# The cross-sell features' client attributes at an as-of date, also compared by its refresh scope. #}
{% macro is_sole_proprietor(client_type) -%}
{{ client_type }} = 'ИП'
{%- endmacro %}

{% macro age_years(as_of_date, birth_date) -%}
date_part('year', age({{ as_of_date }}, {{ birth_date }}))
{%- endmacro %}

{#
  What the point-in-time features read besides the facts: their refresh scope's `reads`. The
  client months read no contract but to know who is a retail client.
#}
{% macro ml_feature_reads() -%}
{{ return(['balances', 'account_records', 'contract_records', 'app_events', 'retail_clients']) }}
{%- endmacro %}

{% macro ml_client_month_reads() -%}
{{ return(['balances', 'account_records', 'app_events', 'retail_client_months']) }}
{%- endmacro %}

{#
  The latest as-of date this incremental table holds and the latest month end the data has
  reached, as ISO dates ('0001-01-01' when there is none, or when nothing is executed: parsing,
  linting), looked up when the model compiles, before its pre-hooks: a build adds the months
  between the two for every client.
#}
{% macro latest_stored_as_of_date() -%}
{%- if execute and is_incremental() -%}
{{ return(first_value_as_iso_date('select max(as_of_date) from ' ~ this)) }}
{%- endif -%}
{{ return('0001-01-01') }}
{%- endmacro %}

{% macro latest_complete_month_end() -%}
{%- set query -%}
select max(dates.month_end_date)
from {{ ref('dim_dates') }} as dates
cross join (
    select
        min(posting_date) as first_date,
        max(posting_date) as last_date
    from {{ ref('fct_transactions') }}
) as history
where dates.month_end_date between history.first_date and history.last_date
{%- endset -%}
{{ return(first_value_as_iso_date(query) if execute else '0001-01-01') }}
{%- endmacro %}

{# The first column of a query's first row as an ISO string; `default` when it is null. #}
{% macro first_value_as_iso_date(query, default='0001-01-01') -%}
{%- set value = run_query(query).columns[0].values()[0] -%}
{{ return(value | string if value else default) }}
{%- endmacro %}
