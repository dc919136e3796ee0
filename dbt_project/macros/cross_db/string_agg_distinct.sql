-- The distinct values of a text column in one string, sorted, joined by a delimiter (an
-- aggregate). dbt's own listagg ignores the ordering on Spark.
{% macro string_agg_distinct(text, delimiter) -%}
    {{ return(adapter.dispatch('string_agg_distinct', 'bank_cdp')(text, delimiter)) }}
{%- endmacro %}

{% macro duckdb__string_agg_distinct(text, delimiter) -%}
    string_agg(distinct {{ text }}, '{{ delimiter }}' order by {{ text }})
{%- endmacro %}

-- Spark 4.3's string_agg(distinct …) within group (order by …) fails inside a grouped select
-- (ClassCastException in ListAgg); a sorted set says the same. Null, as string_agg, when every
-- value is null.
{% macro spark__string_agg_distinct(text, delimiter) -%}
    case
        when count({{ text }}) > 0
            then array_join(array_sort(collect_set({{ text }})), '{{ delimiter }}')
    end
{%- endmacro %}
