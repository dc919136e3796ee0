-- Schemas are named exactly as the layer (staging, marts, ...), not main_<schema>:
-- a relation, its dbt model and its Dagster asset key share one name.
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
