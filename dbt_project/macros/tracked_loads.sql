{#
  The load watermark of the tables kept up to date from new loads (the accounts' latest and
  month-end balances, docs/warehouse.md "Models and grain"): `_loads_through`, the newest raw
  load when a row was built.
#}
-- noqa: disable=LT02
-- (the indent rule reads a macro's one-line body as misplaced; the models lint what it renders)

{# The newest raw load: what a row built now has taken in. #}
{% macro loads_through() -%}
(select max(file_loads.finished_at) from {{ source('audit', 'file_loads') }} as file_loads)
{%- endmacro %}

{#
  The raw loads finished after `watermark` (a scalar SQL expression), as a sorted list read when
  the model compiles — after the models it reads are built — and written into the query as
  literals (load_id_in), which DuckDB checks against each row group's range of load ids: a
  subquery's ids were compared row by row, and at bank-300k the accounts' latest and month-end
  balances each read all 20 M balance records to find the day's.
#}
{% macro loads_finished_after(watermark) -%}
{%- set query -%}
select load_id
from {{ source('audit', 'file_loads') }}
where finished_at > {{ watermark }}
{%- endset -%}
{{ return(run_query(query).columns[0].values() | sort if execute else []) }}
{%- endmacro %}

{# The raw loads finished after this table's watermark (a table kept from new loads). #}
{% macro loads_after_kept_watermark() -%}
{{ return(loads_finished_after('(select max(kept._loads_through) from ' ~ this ~ ' as kept)')) }}
{%- endmacro %}

{#
  The first day of the earliest month of `date_column` among the rows of `relation` that the
  loads `load_ids` brought, as an ISO date string (none without such rows): a constant bound,
  by whose zone maps DuckDB skips the older row groups.
#}
{% macro first_month_of_loads(relation, date_column, load_ids) -%}
{%- if not load_ids or not execute -%}
{{ return(none) }}
{%- endif -%}
{%- set query -%}
select cast(date_trunc('month', min({{ date_column }})) as date)
from {{ relation }}
where {{ load_id_in('_load_id', load_ids) }}
{%- endset -%}
{{ return(first_value_as_iso_date(query, none)) }}
{%- endmacro %}
