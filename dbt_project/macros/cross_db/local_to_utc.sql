-- A naive timestamp a source system wrote in its local time zone, as a naive UTC timestamp
-- (staging converts every delivered time to UTC, ingestion/contracts/dbt_staging.py).
{% macro local_to_utc(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'bank_cdp')(local_timestamp, time_zone)) }}
{%- endmacro %}

{% macro duckdb__local_to_utc(local_timestamp, time_zone) -%}
    timezone('UTC', timezone('{{ time_zone }}', {{ local_timestamp }}))
{%- endmacro %}

-- Spark reads a timestamp in the session time zone, which the spark target sets to UTC.
{% macro spark__local_to_utc(local_timestamp, time_zone) -%}
    to_utc_timestamp({{ local_timestamp }}, '{{ time_zone }}')
{%- endmacro %}
