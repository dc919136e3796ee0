-- The bank's business day: the Moscow calendar date of a UTC timestamp (the extracts file their
-- rows by it). Needs the built-in icu extension for the time zone.
{% macro to_moscow_date(utc_timestamp) -%}
    cast(timezone('Europe/Moscow', timezone('UTC', {{ utc_timestamp }})) as date)
{%- endmacro %}
