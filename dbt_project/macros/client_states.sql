{#
  The client states (marts/core/fct_client_states.sql) at the as-of dates of the relation
  `as_of_dates` (one column, as_of_date) — of every client, or only of the clients of the
  relation `scope` (a column golden_client_id), whose inputs are then read alone. A macro
  because an incremental build computes the business date for every client and the month ends
  for the clients in its refresh scope (macros/client_refresh_scope.sql) from the same rules.
  The caller defines the CTE `business_date` (as_of_date: the warehouse's business date).
  `business_date_only` (the increment's business date of every client): one as-of date, the
  last day of data, so a balance is the latest daily record and recency the latest operation,
  each one aggregation, and income reads three months (bank-1m: ≈ 16 s less than the
  carried-forward month balances and month sums of every client's whole history).
  `as_of_date_list` (a full build): the same dates as ISO strings, read when the model compiles,
  for the 90-day sums (below).
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the model lints what they render)
{% macro client_states_at(
    as_of_dates, scope=none, business_date_only=false, as_of_date_list=none
) -%}
{#-
  The client days, read by two parts. Of every client, the table itself, not a CTE: DuckDB
  materializes a CTE read twice — at bank-1m all 89 M rows of every column, 14 GB spilled —
  where each part scanning the table reads only its own columns. Of the clients of a scope, a
  CTE, which DuckDB then materializes once: a few hundred clients' days, where each part
  scanned all of the table's days to find them (bank-300k: 24 M days twice, 2.1 CPU-seconds,
  for ≈ 250 clients' rows).
#}
{%- set activity = 'activity_in_scope' if scope else ref('fct_client_activity_days') %}
with

{%- if scope %}

activity_in_scope as (
    select
        golden_client_id,
        activity_date,
        operations_count,
        operations_amount_rub,
        logins_count,
        salary_credit_rub
    from {{ ref('fct_client_activity_days') }}
    where golden_client_id in (select golden_client_id from {{ scope }})
),
{%- endif %}

accounts as (
    select
        golden_client_id,
        account_number,
        balance_side,
        opened_date,
        closed_date
    from {{ ref('dim_accounts') }}
    where
        golden_client_id is not null
        {%- if scope %}
        and golden_client_id in (select golden_client_id from {{ scope }})
        {%- endif %}
),

tenure as (
    {{ client_tenure(scope) }}
),

client_dates as (
    select
        tenure.golden_client_id,
        {{ client_type_on(
            'tenure.client_type', 'tenure.sole_proprietor_since_date', 'as_of_dates.as_of_date'
        ) }} as client_type,
        tenure.client_since_date,
        as_of_dates.as_of_date
    from tenure
    inner join {{ as_of_dates }} as as_of_dates
        on
            coalesce(tenure.client_since_date, (select as_of_date from business_date))
            <= as_of_dates.as_of_date
),

open_accounts as (
    select
        accounts.golden_client_id,
        accounts.account_number,
        accounts.balance_side,
        as_of_dates.as_of_date
    from accounts
    inner join {{ as_of_dates }} as as_of_dates
        on
            accounts.opened_date <= as_of_dates.as_of_date
            and (accounts.closed_date is null or accounts.closed_date > as_of_dates.as_of_date)
),

{%- if business_date_only %}
account_balances as (
    select
        open_accounts.golden_client_id,
        open_accounts.as_of_date,
        open_accounts.balance_side,
        coalesce(latest.closing_balance_rub, 0) as balance_rub
    from open_accounts
    left join {{ account_balances_on('(select as_of_date from business_date)') }} as latest
        on open_accounts.account_number = latest.account_number
),
{%- else %}
balance_points as (
    -- The balance of an account open on an as-of date is its latest balance record on or
    -- before that date (fct_balances_daily keeps only days with movement): the last record of
    -- the latest month with one (int_account_months_aggregated; an as-of date is a month end or
    -- the last day of data). One sort carries it forward: an ASOF JOIN behind the date join is
    -- planned as a nested loop (70 s on the tiny bank), and the sort over every daily record
    -- ran out of memory at bank-1m.
    select
        account_number,
        account_bucket,
        month_start_date as point_date,
        false as is_as_of,
        closing_balance_rub,
        null as golden_client_id,
        null as balance_side
    from {{ ref('int_account_months_aggregated') }}
    {%- if scope %}
    where account_number in (select account_number from accounts)
    {%- endif %}
    union all
    select
        account_number,
        {{ account_bucket('account_number') }} as account_bucket,
        as_of_date as point_date,
        true as is_as_of,
        null as closing_balance_rub,
        golden_client_id,
        balance_side
    from open_accounts
),

account_balances as (
    {#- a scope's few accounts in one pass: their buckets' filters, pushed into the scan of
        every account month as one `or`, cost more than the window (bank-300k: 0.85
        CPU-seconds for ≈ 250 clients) #}
    {% call(in_bucket) union_all_account_buckets(
        bucket_column='account_bucket', whole=scope is not none
    ) %}
        select
            golden_client_id,
            point_date as as_of_date,
            balance_side,
            balance_rub
        from (
            select
                *,
                coalesce({{ last_value_ignoring_nulls('closing_balance_rub') }} over (
                    partition by account_number
                    order by point_date, is_as_of
                    rows between unbounded preceding and current row
                ), 0) as balance_rub
            from balance_points
            where {{ in_bucket }}
        ) as carried
        where is_as_of
    {% endcall %}
),
{%- endif %}

holdings as (
    select
        golden_client_id,
        as_of_date,
        count(*) as open_accounts_count,
        sum(balance_rub) filter (where balance_side = 'passive') as funds_balance_rub,
        sum(balance_rub) filter (where balance_side = 'active') as debt_balance_rub
    from account_balances
    group by golden_client_id, as_of_date
),

windowed as (
    -- The 90 days ending on the as-of date, both included: only what the rules read (the
    -- client 360 sums its descriptive 90-day columns for the business date alone).
    {%- set window_sums %}
        sum(activity.operations_count) as operations_90d_count,
        sum(activity.operations_amount_rub) as operations_90d_rub,
        sum(activity.logins_count) as logins_90d_count
    {%- endset %}
    {%- if as_of_date_list %}
    -- One aggregation per as-of date: one over every (client, as-of date) pair, 2.7 M groups at
    -- bank-300k, spilled to disk under the 1 M bank's memory per row (bank-300k under a 1.2 GB
    -- limit: 29.6 of the query's 51 s; per date the model took 44.1–47.1 s against 55.7–56.0 s,
    -- and the same as before under 4 GB: docs/performance.md, "How cost grows").
    {%- for as_of_date in as_of_date_list %}
    select
        activity.golden_client_id,
        date '{{ as_of_date }}' as as_of_date,
        {{- window_sums }}
    from {{ activity }} as activity
    where activity.activity_date between date '{{ as_of_date }}' - 89 and date '{{ as_of_date }}'
    group by activity.golden_client_id
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- else %}
    select
        activity.golden_client_id,
        as_of_dates.as_of_date,
        {{- window_sums }}
    from {{ activity }} as activity
    inner join {{ as_of_dates }} as as_of_dates
        on activity.activity_date between as_of_dates.as_of_date - 89 and as_of_dates.as_of_date
    group by activity.golden_client_id, as_of_dates.as_of_date
    {%- endif %}
),

monthly as (
    select
        golden_client_id,
        date_trunc('month', activity_date) as month_start_date,
        sum(salary_credit_rub) as salary_credit_rub,
        max(activity_date) filter (where operations_count > 0) as last_operation_date
    from {{ activity }} as activity
    {%- if business_date_only %}
    -- The three months of the business date's income (salary below), between date constants:
    -- DuckDB skips the other days' row groups by their zone maps, where a bound computed by a
    -- subquery made it read the whole table (bank-300k: 6.9 M days read instead of 26.8 M).
    -- Only the days with a salary credit, filtered in the scan: a month without one has no
    -- row instead of a zero, which the salary measures count the same (bank-300k: 8.9 M days
    -- grouped → the salary days alone, the query 2.5 → 1.7 s, the same rows).
    where
        activity_date >= cast(
            date_trunc('month', {{ warehouse_business_date_literal() }} + 1) - interval 3 month
            as date
        )
        and activity_date
        < cast(date_trunc('month', {{ warehouse_business_date_literal() }} + 1) as date)
        and salary_credit_rub <> 0
    {%- endif %}
    group by golden_client_id, date_trunc('month', activity_date)
),

salary as (
    -- The last three complete calendar months before the as-of date (the as-of date's own
    -- month counts when the as-of date is its last day).
    select
        monthly.golden_client_id,
        as_of_dates.as_of_date,
        count(*) filter (where monthly.salary_credit_rub > 0) as salary_months_count,
        -- Median of the three monthly sums, months without salary counting as 0: with salary
        -- in all three months the middle sum, in two the smaller one, in at most one 0.
        case count(*) filter (where monthly.salary_credit_rub > 0)
            when 3 then median(monthly.salary_credit_rub)
            when 2 then min(monthly.salary_credit_rub) filter (where monthly.salary_credit_rub > 0)
            else 0
        end as estimated_monthly_income_rub,
        sum(monthly.salary_credit_rub) as salary_credit_3m_rub
    from monthly
    inner join {{ as_of_dates }} as as_of_dates
        on
            monthly.month_start_date
            >= date_trunc('month', as_of_dates.as_of_date + 1) - interval 3 month
            and monthly.month_start_date < date_trunc('month', as_of_dates.as_of_date + 1)
    group by monthly.golden_client_id, as_of_dates.as_of_date
),

recency as (
    {%- if business_date_only %}
    -- The date as a constant and the operations filter in the scan, where DuckDB applies
    -- both before the aggregation (a subquery's bound joined every client day to it:
    -- bank-300k 1.8 -> 0.7 s over 26.8 M days); a client without an operation has no row.
    select
        golden_client_id,
        {{ warehouse_business_date_literal() }} as as_of_date,
        max(activity_date) as last_operation_date
    from {{ activity }} as activity
    where
        activity_date <= {{ warehouse_business_date_literal() }}
        and operations_count > 0
    group by golden_client_id
    {%- else %}
    select
        monthly.golden_client_id,
        as_of_dates.as_of_date,
        max(monthly.last_operation_date) as last_operation_date
    from monthly
    inner join {{ as_of_dates }} as as_of_dates on monthly.month_start_date <= as_of_dates.as_of_date
    group by monthly.golden_client_id, as_of_dates.as_of_date
    {%- endif %}
),

-- Left joins of the parts on (client, as-of date), folded by one aggregation
-- (macros/fold_parts_by_key)
folded as (
    {{ fold_parts_by_key({
        'client_dates': ['client_type', 'client_since_date'],
        'holdings': ['open_accounts_count', 'funds_balance_rub', 'debt_balance_rub'],
        'salary': ['salary_months_count', 'estimated_monthly_income_rub', 'salary_credit_3m_rub'],
        'recency': ['last_operation_date'],
        'windowed': ['operations_90d_count', 'operations_90d_rub', 'logins_90d_count'],
    }, ['golden_client_id', 'as_of_date']) }}
)

select
    folded.golden_client_id,
    folded.as_of_date,
    folded.client_type,
    folded.client_since_date,
    folded.last_operation_date,
    cast(coalesce(folded.funds_balance_rub, 0) as decimal(18, 2)) as funds_balance_rub,
    cast(coalesce(folded.debt_balance_rub, 0) as decimal(18, 2)) as debt_balance_rub,
    cast(coalesce(folded.estimated_monthly_income_rub, 0) as decimal(18, 2))
        as estimated_monthly_income_rub,
    cast(coalesce(folded.salary_credit_3m_rub, 0) as decimal(18, 2)) as salary_credit_3m_rub,
    cast(coalesce(folded.operations_90d_rub, 0) as decimal(18, 2)) as operations_90d_rub,
    cast(coalesce(folded.operations_90d_count, 0) as bigint) as operations_90d_count,
    cast(coalesce(folded.logins_90d_count, 0) as bigint) as logins_90d_count,
    folded.as_of_date = business_date.as_of_date as is_current,
    cast({{ dbt.datediff('folded.client_since_date', 'folded.as_of_date', 'day') }} as bigint)
        as tenure_days,
    coalesce(folded.open_accounts_count, 0) as open_accounts_count,
    coalesce(folded.salary_months_count, 0) as salary_months_count,
    cast({{ dbt.datediff('folded.last_operation_date', 'folded.as_of_date', 'day') }} as bigint)
        as days_since_last_operation,
    {{ client_refresh_watermarks() }},
    {{ written_by_this_run() }} as _written_by
from folded
cross join business_date
{%- endmacro %}

{#
  Each client's type and since when they are a client: tenure starts with the first account
  opened, or the legal entity's registration with the bank when that is earlier; a client with
  neither is measured on the business date only. A sole proprietor also carries since when it
  is one (int_sole_proprietors_dated). Of every client, or of those of `scope`.
#}
{% macro client_tenure(scope=none) -%}
select
    clients.golden_client_id,
    clients.client_type,
    sole_proprietors.sole_proprietor_since_date,
    least(min(accounts.opened_date), clients.registration_date) as client_since_date
from {{ source('golden_record', 'dim_clients') }} as clients
left join {{ ref('dim_accounts') }} as accounts
    on clients.golden_client_id = accounts.golden_client_id
left join {{ ref('int_sole_proprietors_dated') }} as sole_proprietors
    on clients.golden_client_id = sole_proprietors.golden_client_id
{%- if scope %}
where clients.golden_client_id in (select golden_client_id from {{ scope }})
{%- endif %}
group by
    clients.golden_client_id,
    clients.client_type,
    sole_proprietors.sole_proprietor_since_date,
    clients.registration_date
{%- endmacro %}

{#
  The client type at an as-of date: a person who is also a sole proprietor is an ИП from the
  registration of the first ИП record on (`since`; null: always) and a ФЛ before it.
#}
{% macro client_type_on(client_type, since, as_of_date) -%}
case
    when {{ client_type }} = 'ИП' and {{ since }} > {{ as_of_date }} then 'ФЛ'
    else {{ client_type }}
end
{%- endmacro %}

{#
  Pre-hook of the incremental client states: the business date is computed again for every
  client, so its stored rows go, and so does the previous business date unless it is a month
  end (a month end stays, no longer current: mark_current_client_states).
#}
{% macro delete_client_states_of_past_business_dates() -%}
{%- if is_incremental() -%}
delete from {{ this }}
where
    as_of_date >= {{ warehouse_business_date() }}
    or (is_current and as_of_date not in (select month_end_date from {{ ref('dim_dates') }}))
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{# Post-hook of the incremental client states: only the business date's rows are current. #}
{% macro mark_current_client_states() -%}
{%- if is_incremental() -%}
update {{ this }}
set
    is_current = false,
    _written_by = {{ written_by_this_run() }}
where is_current and as_of_date < {{ warehouse_business_date() }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{#
  A state the increment writes again with the values it had keeps the stamps it had: the rows
  the delete will remove (delete_client_rows_to_refresh, the same scope condition) are kept
  before it (`keep_replaced_client_states`, pre-hook)
  and, once the increment is in, a row equal to its kept one in every other column gets the
  kept stamps back (`restamp_unchanged_client_states`, post-hook). A new record of a client
  here since the first month rewrites the client's whole history, mostly with the same values;
  stamped as new, those rows made the segment history evaluate every client at every month end
  again (segment_memberships_recompute_from), on almost every day (docs/performance.md, "Three
  daily rows").
#}
{% macro keep_replaced_client_states() -%}
{%- if is_incremental() -%}
create or replace temporary table client_states_replaced as
select stored.*
from {{ this }} as stored, client_refresh_scope as scope
where {{ stored_row_in_client_refresh_scope('as_of_date') }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{% macro restamp_unchanged_client_states() -%}
{%- if is_incremental() -%}
{%- set stamps = ['_loads_through', '_identity_through', '_written_by'] -%}
{%- set compared = adapter.get_columns_in_relation(this) | map(attribute='name')
    | reject('in', stamps) | list -%}
update {{ this }} as states
set
    _loads_through = replaced._loads_through,
    _identity_through = replaced._identity_through,
    _written_by = replaced._written_by
from client_states_replaced as replaced
where
    states.golden_client_id = replaced.golden_client_id
    and states.as_of_date = replaced.as_of_date
    {%- for column in compared %}
    and states.{{ column }} is not distinct from replaced.{{ column }}
    {%- endfor %};
drop table client_states_replaced
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
