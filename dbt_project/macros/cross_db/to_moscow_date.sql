-- The bank's business day: the Moscow calendar date of a UTC timestamp (the extracts file their
-- rows by it).
{% macro to_moscow_date(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_moscow_date', 'bank_cdp')(utc_timestamp)) }}
{%- endmacro %}

-- DuckDB: Moscow has kept UTC+3 without summer time since 2014-10-26 02:00 local time
-- (2014-10-25 22:00 UTC), so from then on the date is the UTC time moved by three hours; earlier
-- times go through the time-zone database (the built-in icu extension). ICU's conversion costs
-- ten times the arithmetic (8.1 M card operations of bank-300k: 1.5 s against 0.14 s), and
-- every client table reads it. tests/unit/test_moscow_time.py compares both over 1990–2040.
{% macro duckdb__to_moscow_date(utc_timestamp) -%}
    case
        when {{ utc_timestamp }} >= timestamp '{{ moscow_fixed_offset_since_utc() }}'
            then cast({{ utc_timestamp }} + interval 3 hour as date)
        else cast(timezone('Europe/Moscow', timezone('UTC', {{ utc_timestamp }})) as date)
    end
{%- endmacro %}

-- Spark reads a timestamp in the session time zone, which the spark target sets to UTC.
{% macro spark__to_moscow_date(utc_timestamp) -%}
    cast(from_utc_timestamp({{ utc_timestamp }}, 'Europe/Moscow') as date)
{%- endmacro %}

-- The UTC moment from which Moscow time is UTC+3 all year (and the local one, below).
{% macro moscow_fixed_offset_since_utc() -%}
    2014-10-25 22:00:00
{%- endmacro %}

{% macro moscow_fixed_offset_since_local() -%}
    2014-10-26 02:00:00
{%- endmacro %}
