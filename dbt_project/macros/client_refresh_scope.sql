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

{# The raw loads finished after this table's client watermark (macros/tracked_loads.sql). #}
{% macro loads_after_watermark() -%}
{{ return(loads_finished_after(client_watermark('_loads_through'))) }}
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
  built from, each a macro `refresh_from_<name>(loads)` (macros/client_refresh_reasons.sql):
  the client states read
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
