-- Planner hint for a CTE read more than once, written between `as` and the CTE's parenthesis.
-- DuckDB otherwise plans the CTE again at every reference; engines without the hint (Spark
-- reuses the exchange of a repeated subplan) get a plain CTE.
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'bank_cdp')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
