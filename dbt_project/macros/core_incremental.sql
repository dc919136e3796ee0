{#
  Incremental core facts (docs/warehouse.md#incremental-facts). A full build (or the first
  one) writes every row; an incremental run rebuilds only the rows of raw loads the table does
  not hold yet and, after it, re-points the rows whose source record now belongs to another
  golden client. Together with `delete+insert` on the grain key the table equals a full build.
#}

{#
  How a core fact materializes on the target's engine. Incremental where rows can be replaced
  by key in place: DuckDB's `delete+insert`. Spark on plain Parquet tables has no row-level
  delete or merge (that needs a table format such as Delta Lake or Iceberg, whose jars the
  pyspark wheel does not ship), and its `insert_overwrite` replaces whole partitions, which a
  late card clearing would empty: there the facts are tables rebuilt in full
  (docs/scaling-out.md). `is_incremental()` is then false, so the filters and the post-hook
  below do nothing.
#}
{% macro core_fact_materialization() -%}
{{ return(adapter.dispatch('core_fact_materialization', 'bank_cdp')()) }}
{%- endmacro %}

{% macro default__core_fact_materialization() -%}
{{ return('table') }}
{%- endmacro %}

{% macro duckdb__core_fact_materialization() -%}
{{ return('incremental') }}
{%- endmacro %}

{#
  Filter for the rows of new raw loads: a new business date, and also a late file of an
  earlier date (cards deliver one two days late) or a reloaded partition, which a plain
  `_business_date > max(...)` filter would miss. `load_id_sources` maps each load-id column of
  the fact to the raw tables whose loads fill it. The new ids are looked up first and written
  into the query as a literal list: DuckDB pushes such a filter down to the raw scans through
  the staging and intermediate views, where an `in (subquery)` on the finished rows made the
  daily build compute every fact in full (fct_card_transactions 52 s at bank-100k). Not
  through a full join, though: fct_card_transactions narrows its inputs to the card × RRN keys
  of the new loads itself (macros/match_card_transactions.sql). Each side is made distinct
  first (a few hundred loads): `except` alone hashes every row, and 68 M load ids of the
  balances ran out of the 4 GB limit at bank-1m (distinct first: 0.3 s).
#}
{% macro core_rows_to_refresh(load_id_sources) -%}
{%- set conditions = [] -%}
{%- for column, tables in load_id_sources.items() -%}
{%- do conditions.append(load_id_in(column, new_load_ids(column, tables))) -%}
{%- endfor -%}
({{ conditions | join(' or ') }})
{%- endmacro %}

{# The loads of the raw `tables` that no row of this model holds in `column` yet, sorted. #}
{% macro new_load_ids(column, tables) -%}
{%- set new_ids_query -%}
{%- for table in tables %}
select distinct _load_id from {{ source('raw', table) }}
{% if not loop.last %}union{% endif %}
{%- endfor %}
except
select distinct {{ column }} from {{ this }} where {{ column }} is not null
{%- endset -%}
{{ return(run_query(new_ids_query).columns[0].values() | sort if execute else []) }}
{%- endmacro %}

{# `column in ('id', ...)` as a literal list (pushed down to raw scans), `false` for none. #}
{% macro load_id_in(column, load_ids) -%}
{{ literal_in(column, load_ids) }}
{%- endmacro %}

{#
  `column in (<type> 'value', ...)`, each value a string literal typed by `literal_type` (e.g.
  'date'; none: a string), `false` for no values.
#}
{% macro literal_in(column, values, literal_type='') -%}
{%- if values -%}
{%- set quoted = [] -%}
{%- set prefix = literal_type ~ ' ' if literal_type else '' -%}
{%- for value in values -%}
{%- do quoted.append(prefix ~ "'" ~ (value | string | replace("'", "''")) ~ "'") -%}
{%- endfor -%}
{{ column }} in ({{ quoted | join(', ') }})
{%- else -%}
false
{%- endif -%}
{%- endmacro %}

{#
  Post-hook: rows whose source record now maps to another golden client (a merge or split in
  the identity stage) get the crosswalk's golden id, so `golden_client_id` never goes stale.
  An update of that one column (and of `_written_by`, macros/written_by.sql), not a rebuild of
  the rows: the other columns do not depend on the golden record. Only records whose client a
  resolution ever changed can be stale: every resolution appends those to
  identity.crosswalk_changes (a merge, a split, a record new to the golden record or moved by a
  full run), so the fact's keys are first narrowed to them —
  the distinct keys and ids of the whole fact cost 6.1 s on fct_transactions at bank-1m, these
  1.6 s.
#}
{% macro refresh_golden_client_ids() -%}
{%- if is_incremental() -%}
update {{ this }} as fact
set
    golden_client_id = changed.golden_client_id,
    _written_by = {{ written_by_this_run() }}
from (
    select
        loaded.client_record_key,
        crosswalk.golden_client_id
    from (
        select distinct
            client_record_key,
            golden_client_id
        from {{ this }}
        where client_record_key in (
            select changes.record_key
            from {{ source('identity', 'crosswalk_changes') }} as changes
        )
    ) as loaded
    left join {{ source('golden_record', 'dim_client_crosswalk') }} as crosswalk
        on loaded.client_record_key = crosswalk.record_key
    where loaded.golden_client_id is distinct from crosswalk.golden_client_id
) as changed
where fact.client_record_key = changed.client_record_key
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
