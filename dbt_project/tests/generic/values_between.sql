-- Rows whose value lies outside [min_value, max_value] (nulls pass: not_null says whether they may
-- be null). dbt_expectations' range test cannot be fetched on these machines.
{% test values_between(model, column_name, min_value, max_value) %}

    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}

{% endtest %}
