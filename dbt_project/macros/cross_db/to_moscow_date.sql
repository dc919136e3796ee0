-- The bank's business day: the Moscow calendar date of a UTC timestamp (the extracts file their
-- rows by it).
{% macro to_moscow_date(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_moscow_date', 'bank_cdp')(utc_timestamp)) }}
{%- endmacro %}

-- DuckDB needs the built-in icu extension for the time zone.
{% macro duckdb__to_moscow_date(utc_timestamp) -%}
    cast(timezone('Europe/Moscow', timezone('UTC', {{ utc_timestamp }})) as date)
{%- endmacro %}

-- Spark reads a timestamp in the session time zone, which the spark target sets to UTC.
{% macro spark__to_moscow_date(utc_timestamp) -%}
    cast(from_utc_timestamp({{ utc_timestamp }}, 'Europe/Moscow') as date)
{%- endmacro %}
