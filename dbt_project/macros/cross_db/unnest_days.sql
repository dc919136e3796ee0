-- One row per day from first_date to last_date, both included, as a select-list expression of
-- type date (a table function on one engine, a generator on another).
{% macro unnest_days(first_date, last_date) -%}
    {{ return(adapter.dispatch('unnest_days', 'bank_cdp')(first_date, last_date)) }}
{%- endmacro %}

{% macro duckdb__unnest_days(first_date, last_date) -%}
    cast(unnest(generate_series({{ first_date }}, {{ last_date }}, interval 1 day)) as date)
{%- endmacro %}

{% macro spark__unnest_days(first_date, last_date) -%}
    explode(sequence({{ first_date }}, {{ last_date }}, interval 1 day))
{%- endmacro %}
