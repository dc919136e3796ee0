{#
  The caller's query once per bucket of accounts, the results stacked with `union all`. A window
  partitioned by account keeps its whole input in DuckDB's memory: over every balance record of
  bank-1m it ran out of the 4 GB limit, over a sixteenth of the accounts at a time it does not.
  The caller receives the bucket's condition on `account_column` (or on a `bucket_column` it
  computed with account_bucket, or read where it is stored: int_account_months_aggregated) and
  must filter its rows with it. The bucket is the account's last four digits (its serial number, evenly spread) modulo
  var('account_window_buckets'), which every engine computes alike (Spark's hash() is signed).
  `whole=true` (a caller reading a few accounts): the query once, its condition `true`.
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja loops; models calling it lint the SQL it renders)
{% macro union_all_account_buckets(
    account_column='account_number', bucket_column=none, whole=false
) -%}
{%- if whole %}
{{ caller('true') }}
{%- else %}
{%- set buckets = var('account_window_buckets') -%}
{%- for bucket in range(buckets) %}
{%- if bucket_column %}
{{ caller(bucket_column ~ ' = ' ~ bucket) }}
{%- else %}
{{ caller(account_bucket(account_column) ~ ' = ' ~ bucket) }}
{%- endif %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endif %}
{%- endmacro %}

{#
  The bucket of an account, for a caller that reads its rows from a CTE: as a column computed
  once (`bucket_column` above), not once per bucket in the filter DuckDB pushes into the CTE
  (12 s of the client states' business date at bank-1m).
#}
{% macro account_bucket(account_column='account_number') -%}
cast(right({{ account_column }}, 4) as integer) % {{ var('account_window_buckets') }}
{%- endmacro %}
