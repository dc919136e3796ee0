-- A naive timestamp a source system wrote in its local time zone, as a naive UTC timestamp
-- (staging converts every delivered time to UTC, ingestion/contracts/dbt_staging.py).
{% macro local_to_utc(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'bank_cdp')(local_timestamp, time_zone)) }}
{%- endmacro %}

-- Moscow times since its last change of offset are three hours ahead of UTC, without the
-- time-zone database's cost (macros/cross_db/to_moscow_date.sql); other zones and earlier
-- times go through it.
{% macro duckdb__local_to_utc(local_timestamp, time_zone) -%}
    {%- if time_zone == 'Europe/Moscow' -%}
    case
        when {{ local_timestamp }} >= timestamp '{{ moscow_fixed_offset_since_local() }}'
            then {{ local_timestamp }} - interval 3 hour
        else timezone('UTC', timezone('{{ time_zone }}', {{ local_timestamp }}))
    end
    {%- else -%}
        timezone('UTC', timezone('{{ time_zone }}', {{ local_timestamp }}))
    {%- endif -%}
{%- endmacro %}

-- Spark reads a timestamp in the session time zone, which the spark target sets to UTC.
{% macro spark__local_to_utc(local_timestamp, time_zone) -%}
    to_utc_timestamp({{ local_timestamp }}, '{{ time_zone }}')
{%- endmacro %}
