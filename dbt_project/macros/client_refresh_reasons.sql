{#
  Why a client is in the refresh scope of an incremental client table
  (macros/client_refresh_scope.sql): one macro `refresh_from_<read>(loads)` per input a table
  names in its `reads`, each (golden_client_id, refresh_from_date) — the clients that input's
  new loads or changed golden record touch, from the first date they touch.
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the models calling them lint what they render)

{# The earliest of the dates a card operation (fct_card_transactions) counts on or was delivered on. #}
{% macro card_operation_first_date() -%}
least(
    {{ to_moscow_date('transaction_at') }},
    transaction_date,
    coalesce(clearing_date, transaction_date)
)
{%- endmacro %}

{# The rows of new loads of a fact whose rows carry one load id, on the date they count on. #}
{% macro refresh_from_fact_loads(loads, fact, date_column) -%}
select
    golden_client_id,
    {{ date_column }} as refresh_from_date
from {{ ref(fact) }}
where {{ load_id_in('_load_id', loads) }}
{%- endmacro %}

{% macro refresh_from_balances(loads) -%}
{{ refresh_from_fact_loads(loads, 'fct_balances_daily', 'balance_date') }}
{%- endmacro %}

{#
  Account or contract records of new loads (raw table `raw`, keyed by `key`); their client is
  the `held` model's. The client tables read of a record its client, product, start date
  (`start_column`) and closure: a record delivered before whose other columns — but for the
  closure and the `unread` ones, which no client table reads and which change daily (a loan's
  status and days past due) — are the same changes them from the earlier of its two closed
  dates, and not at all when that is the same too; any other record (new, or changed
  elsewhere) from its start, or its closure if earlier. Comparing with the previous delivery
  keeps a closure of a years-old contract from rewriting the client's whole history (at
  bank-1m 16 k clients a day, whose months were then summed again from every fact).
#}
{% macro refresh_from_delivered_records(loads, raw, held, key, start_column, unread) -%}
{%- set compared = [] -%}
{%- if execute -%}
{%- for column in adapter.get_columns_in_relation(source('raw', raw)) -%}
{%- if not column.name.startswith('_') and column.name not in [key, 'closed_date'] + unread -%}
{%- do compared.append(column.name) -%}
{%- endif -%}
{%- endfor -%}
{%- endif -%}
select
    held.golden_client_id,
    case
        when
            previous.{{ key }} is not null
            {%- for column in compared %}
            and delivered.{{ column }} is not distinct from previous.{{ column }}
            {%- endfor %}
            then least(delivered.closed_date, previous.closed_date)
        else least(
            delivered.{{ start_column }},
            coalesce(delivered.closed_date, delivered.{{ start_column }})
        )
    end as refresh_from_date
from (
    select * from {{ source('raw', raw) }}
    where {{ load_id_in('_load_id', loads) }}
    qualify row_number() over (
        partition by {{ key }} order by _business_date desc, _line_number desc
    ) = 1
) as delivered
inner join {{ ref(held) }} as held
    on delivered.{{ key }} = held.{{ key }}
left join (
    select * from {{ source('raw', raw) }}
    where
        not {{ load_id_in('_load_id', loads) }}
        and {{ key }} in (
            select {{ key }} from {{ source('raw', raw) }}
            where {{ load_id_in('_load_id', loads) }}
        )
    qualify row_number() over (
        partition by {{ key }} order by _business_date desc, _line_number desc
    ) = 1
) as previous
    on delivered.{{ key }} = previous.{{ key }}
{%- endmacro %}

{% macro refresh_from_account_records(loads) -%}
{{ refresh_from_delivered_records(
    loads, 'abs__accounts', 'dim_accounts', 'account_number', 'opened_date', ['status']
) }}
{%- endmacro %}

{% macro refresh_from_contract_records(loads) -%}
{{ refresh_from_delivered_records(
    loads, 'abs__contracts', 'fct_contracts', 'contract_id', 'start_date',
    ['status', 'days_past_due']
) }}
{%- endmacro %}

{# ДБО events of new loads, on the Moscow date they happened. #}
{% macro refresh_from_app_events(loads) -%}
select
    crosswalk.golden_client_id,
    {{ to_moscow_date('events.event_at') }} as refresh_from_date
from {{ ref('stg_dbo__events') }} as events
inner join {{ source('golden_record', 'dim_client_crosswalk') }} as crosswalk
    on crosswalk.record_key = 'dbo:' || events.login_id
where {{ load_id_in('events._load_id', loads) }}
{%- endmacro %}

{# ДБО sessions of new loads (a session names the channel of the offers shown in it). #}
{% macro refresh_from_app_sessions(loads) -%}
select
    crosswalk.golden_client_id,
    cast(sessions.started_at as date) as refresh_from_date
from {{ ref('stg_dbo__sessions') }} as sessions
inner join {{ source('golden_record', 'dim_client_crosswalk') }} as crosswalk
    on crosswalk.record_key = 'dbo:' || sessions.login_id
where {{ load_id_in('sessions._load_id', loads) }}
{%- endmacro %}

{#
  Applications with a step in new loads, from the day they started: for the client they
  belong to now and, from this table's stored rows, the client they belonged to (a later step
  may name the АБС client, which then identifies the application instead of the login).
#}
{% macro refresh_from_applications(loads) -%}
{%- set delivered -%}
select application_id from {{ ref('stg_dbo__applications') }}
where {{ load_id_in('_load_id', loads) }}
{%- endset -%}
select
    golden_client_id,
    cast(started_at as date) as refresh_from_date
from {{ ref('int_kpi_applications_stepped') }}
where application_id in ({{ delivered }})
union all
select
    golden_client_id,
    cast(lead_started_at as date) as refresh_from_date
from {{ this }}
where application_id in ({{ delivered }})
{%- endmacro %}

{#
  Client profiles (ml_features__churn) written since this table's watermarks: the lead features
  read a profile from the day after its month end.
#}
{% macro refresh_from_churn_profiles(loads) -%}
select
    golden_client_id,
    as_of_date + 1 as refresh_from_date
from {{ ref('ml_features__churn') }}
where
    _loads_through > {{ client_watermark('_loads_through') }}
    or _identity_through > {{ client_watermark('_identity_through') }}
{%- endmacro %}

{#
  Every client whose start date, or type at that date, differs from its stored current state,
  from the start (a person registering as an ИП on the business date changes no stored state);
  a client without one (new to the golden record) from where its states begin: its start date,
  or the business date when it has none (macros/client_states.sql).
#}
{% macro refresh_from_tenure(loads) -%}
select
    tenure.golden_client_id,
    case
        when stored.golden_client_id is null
            then coalesce(tenure.client_since_date, {{ warehouse_business_date() }})
        else date '0001-01-01'
    end as refresh_from_date
from ({{ client_tenure() }}) as tenure
left join {{ this }} as stored
    on
        tenure.golden_client_id = stored.golden_client_id
        and stored.is_current
where
    stored.golden_client_id is null
    or stored.client_since_date is distinct from tenure.client_since_date
    or stored.client_type is distinct from {{ client_type_on(
        'tenure.client_type', 'tenure.sole_proprietor_since_date', 'stored.as_of_date'
    ) }}
{%- endmacro %}

{#
  Who is a retail client (a person, ФЛ or ИП, with a retail contract: ml_client_months) has
  changed: stored clients whose golden record is no longer a person's, and persons with a
  retail contract who have no stored row — for the features, only those with a contract
  started by the latest stored as-of date (the others have no row yet; a client whose
  contracts all closed between two month ends has none, and is looked at again each day); for
  the client months, every one (a full build gives a retail client every month of the history,
  an increment must too).
#}
{% macro refresh_from_retail_clients(loads, started_by_latest_as_of_date=true) -%}
select * from (
    -- The stored clients read once for both parts: a `not in` over the table's rows hashed
    -- every row again (bank-300k: 0.30–0.38 → 0.22–0.29 s, in each of three scopes).
    with stored as (
        select distinct golden_client_id from {{ this }}
    )

    select
        stored.golden_client_id,
        date '0001-01-01' as refresh_from_date
    from stored
    left join {{ source('golden_record', 'dim_clients') }} as clients
        on stored.golden_client_id = clients.golden_client_id
    where clients.client_type is null or clients.client_type not in ('ФЛ', 'ИП')
    union all
    select distinct
        contracts.golden_client_id,
        date '0001-01-01' as refresh_from_date
    from {{ ref('fct_contracts') }} as contracts
    inner join {{ source('golden_record', 'dim_clients') }} as clients
        on contracts.golden_client_id = clients.golden_client_id
    left join stored
        on contracts.golden_client_id = stored.golden_client_id
    where
        contracts.client_segment = 'retail'
        and clients.client_type in ('ФЛ', 'ИП')
        {%- if started_by_latest_as_of_date %}
        and contracts.start_date <= (select max(as_of_date) from {{ this }})
        {%- endif %}
        and stored.golden_client_id is null
) as retail_clients
{%- endmacro %}

{% macro refresh_from_retail_client_months(loads) -%}
{{ refresh_from_retail_clients(loads, started_by_latest_as_of_date=false) }}
{%- endmacro %}

{#
  Stored rows whose client type or age no longer agrees with the golden record, from the first
  of them.
#}
{% macro refresh_from_client_attributes(loads) -%}
select
    stored.golden_client_id,
    min(stored.as_of_date) as refresh_from_date
from {{ this }} as stored
left join {{ source('golden_record', 'dim_clients') }} as clients
    on stored.golden_client_id = clients.golden_client_id
left join {{ ref('int_sole_proprietors_dated') }} as sole_proprietors
    on stored.golden_client_id = sole_proprietors.golden_client_id
where
    stored.is_sole_proprietor is distinct from {{ is_sole_proprietor(client_type_on(
        'clients.client_type', 'sole_proprietors.sole_proprietor_since_date', 'stored.as_of_date'
    )) }}
    or stored.age_years is distinct from {{ age_years('stored.as_of_date', 'clients.birth_date') }}
group by stored.golden_client_id
{%- endmacro %}
