-- ISO day of week of a date: 1 = Monday … 7 = Sunday (Spark's dayofweek starts on Sunday).
{% macro iso_day_of_week(date_value) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'bank_cdp')(date_value)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_value) -%}
    isodow({{ date_value }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_value) -%}
    extract(dayofweek_iso from {{ date_value }})
{%- endmacro %}
