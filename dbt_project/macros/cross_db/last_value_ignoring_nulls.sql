-- The window function "last non-null value of expr", to be followed by its `over (...)`: the
-- engines place IGNORE NULLS differently (inside the call on DuckDB, after it on Spark).
{% macro last_value_ignoring_nulls(expr) -%}
    {{ return(adapter.dispatch('last_value_ignoring_nulls', 'bank_cdp')(expr)) }}
{%- endmacro %}

{% macro duckdb__last_value_ignoring_nulls(expr) -%}
    last_value({{ expr }} ignore nulls)
{%- endmacro %}

{% macro spark__last_value_ignoring_nulls(expr) -%}
    last_value({{ expr }}) ignore nulls
{%- endmacro %}
