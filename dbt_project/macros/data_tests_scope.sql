{#
  What a build's data tests read (docs/warehouse.md#daily-data-tests). A full build tests every
  row. The daily build (`--vars '{data_tests_scope: recent}'`, which the daily schedule passes)
  tests, in the tables listed in var('data_tests_recent_rows'), only the rows of the business
  dates within var('data_tests_recent_days') of the newest load: a day's rows and the late files
  beside them, not a year of history each day again. The weekly full build tests everything.
#}

-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks)

{# The first business date a daily build tests, as an ISO date string; none when all rows are. #}
{% macro data_tests_recent_start() -%}
{%- if var('data_tests_scope', 'all') != 'recent' or not execute -%}
{{ return(none) }}
{%- endif -%}
{%- set query -%}
select max(business_date) - {{ var('data_tests_recent_days') | int }}
from {{ source('audit', 'file_loads') }}
where status = 'loaded'
{%- endset -%}
{{ return(first_value_as_iso_date(query, none)) }}
{%- endmacro %}

{#
  `expression >= the first business date tested`, or `true` when every row is tested; `start`
  when the caller has looked it up already (one query per test, not one per condition).
#}
{% macro in_data_tests_scope(expression, start=none) -%}
{%- set start = start or data_tests_recent_start() -%}
{%- if start -%}
{{ expression }} >= date '{{ start }}'
{%- else -%}
true
{%- endif -%}
{%- endmacro %}

{#
  dbt's hook for the model a generic test reads (overridden here, as its docs suggest for a
  filter built by a macro): the test's own `where` config, and in a daily build the recent rows
  of a table listed in var('data_tests_recent_rows') or of the raw schema.
#}
{% macro get_where_subquery(relation) -%}
{%- set conditions = [] -%}
{%- set where = config.get('where') -%}
{%- if where -%}
{%- do conditions.append('(' ~ where ~ ')') -%}
{%- endif -%}
{#- A raw table's rows never change once loaded and its grain includes the business date: in a
    daily build its tests read the loads of the window, whatever the table. -#}
{%- set recent = var('data_tests_recent_rows', {}).get(relation.identifier)
    or ('_business_date' if relation.schema == 'raw' else none) -%}
{%- set start = data_tests_recent_start() if recent else none -%}
{%- if start -%}
{%- do conditions.append(in_data_tests_scope(recent, start)) -%}
{%- endif -%}
{%- if conditions -%}
{%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
{%- else -%}
{%- do return(relation) -%}
{%- endif -%}
{%- endmacro %}
