{#
  Incremental client tables (docs/warehouse.md#incremental-client-tables). A table keyed by
  golden client and a date (fct_client_activity_days, fct_client_states, the churn and
  cross-sell features) changes, between two builds, only for the clients the new data touches,
  and only from the earliest date it touches: a day's postings change that day, a late card
  file the days it covers, a record that changes client the history from its rows' first date.
  Each such table carries two watermarks — the newest raw load and the newest golden-record
  resolution (identity.resolution_runs) it has taken in — and an incremental
  build rebuilds the scope below: per client, the rows from `refresh_from_date` on.
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the models calling them lint what they render)

{# The watermark columns of a row: what had been loaded and resolved when it was built. #}
{% macro client_refresh_watermarks() -%}
    {{ loads_through() }} as _loads_through,
    (select max(run_at) from {{ source('identity', 'resolution_runs') }}) as _identity_through
{%- endmacro %}

{# The warehouse's business date: the latest business date of a posting load, never today. #}
{% macro warehouse_business_date() -%}
(select max(_business_date) from {{ ref('fct_transactions') }})
{%- endmacro %}

{#
  The same date as a literal, read when the model compiles (after fct_transactions is built): a
  filter on a constant reaches through DuckDB's windows partitioned by the date, a subquery's
  value does not (mart_client_360's current segments: 4.3 → 0.9 s at bank-1m).
#}
{% macro warehouse_business_date_literal() -%}
{%- set query = 'select ' ~ warehouse_business_date() -%}
{{ return("date '" ~ (first_value_as_iso_date(query) if execute else '0001-01-01') ~ "'") }}
{%- endmacro %}

{#
  This table's watermark `column`. A table built before the watermark columns existed cannot be
  brought up to date by an increment (DuckDB refuses to add the columns in the transaction that
  deletes the scope's rows): the build stops with what to run instead.
#}
{% macro client_watermark(column) -%}
{%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
{%- if execute and column not in stored -%}
{{ exceptions.raise_compiler_error(
    this ~ " was built before its watermark column " ~ column ~ " existed: rebuild it once with "
    ~ "`dbt build --full-refresh --select " ~ this.identifier ~ "` "
    ~ "(docs/warehouse.md, Incremental client tables)"
) }}
{%- endif -%}
(select coalesce(max({{ column }}), timestamp '0001-01-01') from {{ this }})
{%- endmacro %}

{#
  The raw loads finished after this table's watermark, as a sorted list (written into the
  query as a literal list, which DuckDB pushes down to the facts' scans: core_incremental.sql).
#}
{% macro loads_after_watermark() -%}
{%- set query -%}
select load_id
from {{ source('audit', 'file_loads') }}
where finished_at > {{ client_watermark('_loads_through') }}
{%- endset -%}
{{ return(run_query(query).columns[0].values() | sort if execute else []) }}
{%- endmacro %}

{#
  (golden_client_id, refresh_from_date, is_gone), one row per client whose rows may differ from
  a full build, with the first date that may differ: the facts' rows of new loads (a clearing
  rewrites its authorization's row, and a clearing without one is a row of its own, so the
  card fact counts all three of its loads, each by a filter of its own: DuckDB pushes an `in`
  list into the scan, not an `or` of three, which read all 8 M card rows at bank-300k for each
  of six tables' scopes, 0.2 s each), and both clients of every record that changed client
  since the watermark (a merge or split moves records; a record new to the golden record may
  have rows loaded before), from the first date of the record's rows
  (int_crosswalk_changes_dated; the facts re-point their rows themselves: core_incremental.sql).
  A client no longer in the golden record (merged away, retired) `is_gone`: its stored rows are
  deleted whole and nothing is computed for it. Its own rows decide a client's first date, not
  the start of its history: one client refreshed from the start made every client table read
  its inputs whole (bank-300k, the client states' query 2.4 → 5.8 s), and every day brings
  new records. What the golden record says of a client (type, start, birth date) is compared
  with the stored rows by the `reads` that need it (tenure, client_attributes, retail_clients).
  `reads` names what else the table is
  built from, each a macro `refresh_from_<name>(loads)` below: the client states read
  balances, account records and the golden record's tenure; the churn and cross-sell features
  balances, account and contract records, app events and who is a retail client, the
  cross-sell features also age and type; the lead features applications, app events and
  sessions, and the client profiles of the churn features.
#}
{% macro clients_to_refresh(reads=[]) -%}
{%- set loads = loads_after_watermark() -%}
select
    touched.golden_client_id,
    min(touched.refresh_from_date) as refresh_from_date,
    clients.golden_client_id is null as is_gone
from (
    {{ refresh_from_fact_loads(loads, 'fct_transactions', 'posting_date') }}
    union all
    {{ refresh_from_fact_loads(loads, 'fct_interactions', 'occurred_date') }}
    {%- for load_column in ['_authorization_load_id', '_clearing_load_id', '_reversal_load_id'] %}
    union all
    select
        golden_client_id,
        {{ card_operation_first_date() }} as refresh_from_date
    from {{ ref('fct_card_transactions') }}
    where {{ load_id_in(load_column, loads) }}
    {%- endfor %}
    {%- for id_column in ['golden_client_id', 'previous_golden_client_id'] %}
    union all
    select
        {{ id_column }} as golden_client_id,
        -- a record without rows moves none; a client it leaves for good is gone (below)
        coalesce(first_row_date, date '9999-12-31') as refresh_from_date
    from {{ ref('int_crosswalk_changes_dated') }}
    where
        run_at > {{ client_watermark('_identity_through') }}
    {%- endfor %}
    {%- for name in reads %}
    union all
    {{ context['refresh_from_' ~ name](loads) }}
    {%- endfor %}
) as touched
left join {{ source('golden_record', 'dim_clients') }} as clients
    on touched.golden_client_id = clients.golden_client_id
where touched.golden_client_id is not null
group by touched.golden_client_id, clients.golden_client_id
{%- endmacro %}

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
  Every client whose type or start date differs from its stored current state, from the start;
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
    or stored.client_type is distinct from tenure.client_type
    or stored.client_since_date is distinct from tenure.client_since_date
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
select
    stored.golden_client_id,
    date '0001-01-01' as refresh_from_date
from (select distinct golden_client_id from {{ this }}) as stored
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
where
    contracts.client_segment = 'retail'
    and clients.client_type in ('ФЛ', 'ИП')
    {%- if started_by_latest_as_of_date %}
    and contracts.start_date <= (select max(as_of_date) from {{ this }})
    {%- endif %}
    and contracts.golden_client_id not in (select golden_client_id from {{ this }})
{%- endmacro %}

{% macro refresh_from_retail_client_months(loads) -%}
{{ refresh_from_retail_clients(loads, started_by_latest_as_of_date=false) }}
{%- endmacro %}

{# Stored rows whose client type or age no longer agrees with the golden record. #}
{% macro refresh_from_client_attributes(loads) -%}
select distinct
    stored.golden_client_id,
    date '0001-01-01' as refresh_from_date
from {{ this }} as stored
left join {{ source('golden_record', 'dim_clients') }} as clients
    on stored.golden_client_id = clients.golden_client_id
where
    stored.is_sole_proprietor is distinct from {{ is_sole_proprietor('clients.client_type') }}
    or stored.age_years is distinct from {{ age_years('stored.as_of_date', 'clients.birth_date') }}
{%- endmacro %}

{#
  Pre-hooks of an incremental client table: the scope above into the temporary table
  `client_refresh_scope`, which the model's query joins; then the stored rows of that scope —
  `date_column` on or after the client's refresh_from_date, every row of a client gone from
  the golden record — deleted: the model appends them again, so rows that should no longer
  exist are gone too.
#}
{% macro create_client_refresh_scope(reads=[]) -%}
{%- if is_incremental() -%}
create or replace temporary table client_refresh_scope as
{{ clients_to_refresh(reads) }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{#
  `days_before`: a table whose dates are UTC days (the lead features' as-of moments) starts a
  day earlier than the Moscow dates some reads give. The scope's earliest date is read when the
  hook renders (after the scope's hook ran: hooks render one by one) and bounds the delete as a
  literal, which lets DuckDB skip the row groups of older dates — a join with the scope alone
  reads every stored row (fct_client_activity_days at bank-300k: 1.4–1.75 → 0.2–0.4 s). A gone
  client's rows, of any date, go by a delete of their own.
#}
{% macro delete_client_rows_to_refresh(date_column, days_before=0) -%}
{%- if is_incremental() and execute -%}
{%- set bounds = run_query(
    "select count(*) filter (where is_gone), min(refresh_from_date) filter (where not is_gone)"
    ~ " from client_refresh_scope"
).rows[0] -%}
{%- set statements = [] -%}
{%- if bounds[0] > 0 -%}
{%- do statements.append(
    "delete from " ~ this ~ " where golden_client_id in"
    ~ " (select golden_client_id from client_refresh_scope where is_gone)"
) -%}
{%- endif -%}
{%- if bounds[1] is not none -%}
{%- set statement -%}
delete from {{ this }} as stored
using client_refresh_scope as scope
where
    {{ stored_row_in_client_refresh_scope(date_column, days_before) }}
    and stored.{{ date_column }} >= date '{{ bounds[1] }}' - {{ days_before }}
{%- endset -%}
{%- do statements.append(statement) -%}
{%- endif -%}
{{ statements | join(';\n') if statements else 'select 1' }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{# A stored row (`stored`) of a client of the scope (`scope`) that is not gone, on or after its date. #}
{% macro stored_row_in_client_refresh_scope(date_column, days_before=0) -%}
stored.golden_client_id = scope.golden_client_id
    and not scope.is_gone
    and stored.{{ date_column }} >= scope.refresh_from_date - {{ days_before }}
{%- endmacro %}

{#
  The rows of the refresh scope: an inner join the model adds to its rows when incremental;
  `scope` may narrow the scope (the client states' month ends).
#}
{% macro join_client_refresh_scope(client_column, date_column, scope='client_refresh_scope') -%}
{%- if is_incremental() -%}
inner join {{ scope }} as scope
    on
        {{ client_column }} = scope.golden_client_id
        and {{ date_column }} >= scope.refresh_from_date
{%- endif -%}
{%- endmacro %}

{# Post-hook: the scope's temporary table is not needed after the model's insert. #}
{% macro drop_client_refresh_scope() -%}
{%- if is_incremental() -%}
drop table if exists client_refresh_scope
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{#
  The rows an incremental table keyed by client and as-of date builds: every client's as-of
  dates after the latest one it holds (`stored_through`, a date literal), and the refresh
  scope's rows (from `days_before` the scope's date, as delete_client_rows_to_refresh). The
  condition reads the scope by the alias `scope`, which left_join_client_refresh_scope joins to
  the rows: a correlated EXISTS made DuckDB materialize every stored row of the cross-sell
  features' input for a delim join (18 of the model's 26 s at bank-1m).
#}
{% macro left_join_client_refresh_scope(client_column) -%}
{%- if is_incremental() -%}
left join client_refresh_scope as scope
    on {{ client_column }} = scope.golden_client_id
{%- endif -%}
{%- endmacro %}

{% macro completed_since_or_in_refresh_scope(date_column, stored_through, days_before=0) -%}
(
    {{ date_column }} > {{ stored_through }}
    or {{ date_column }} >= scope.refresh_from_date - {{ days_before }}
)
{%- endmacro %}
