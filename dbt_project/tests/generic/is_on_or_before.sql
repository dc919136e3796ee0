-- Rows whose date is after another column's date (nulls pass): e.g. no event a feature row
-- read is later than its as-of date.
{% test is_on_or_before(model, column_name, later_column) %}

    select {{ column_name }}, {{ later_column }}
    from {{ model }}
    where {{ column_name }} > {{ later_column }}

{% endtest %}
