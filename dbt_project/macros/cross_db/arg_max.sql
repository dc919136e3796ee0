-- The aggregate "value of expr on the row where ordering is largest": arg_max on DuckDB,
-- max_by on Spark.
{% macro arg_max(expr, ordering) -%}
    {{ return(adapter.dispatch('arg_max', 'bank_cdp')(expr, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_max(expr, ordering) -%}
    arg_max({{ expr }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_max(expr, ordering) -%}
    max_by({{ expr }}, {{ ordering }})
{%- endmacro %}
