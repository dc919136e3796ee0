-- Rows with a negative value (nulls pass): for counts, durations and medians of time.
{% test is_not_negative(model, column_name) %}

    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < 0

{% endtest %}
