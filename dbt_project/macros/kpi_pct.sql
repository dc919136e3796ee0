-- A share in percent (0–100, two decimals); null when there is nothing to divide by.
{% macro kpi_pct(numerator, denominator) -%}
    cast(round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), 2) as decimal(5, 2))
{%- endmacro %}
