{#
  The load watermark of the tables kept up to date from new loads (the accounts' latest and
  month-end balances, docs/warehouse.md "Models and grain"): `_loads_through`, the newest raw
  load when a row was built.
#}
-- noqa: disable=LT02
-- (the indent rule reads a macro's one-line body as misplaced; the models lint what it renders)

{# The newest raw load: what a row built now has taken in. #}
{% macro loads_through() -%}
(select max(file_loads.finished_at) from {{ source('audit', 'file_loads') }} as file_loads)
{%- endmacro %}

{#
  The raw loads finished after this table's watermark, as a subquery (at bank-1m DuckDB
  filters a scan of 68 M balance records by its few ids in 0.03 s). Not the client tables'
  loads_after_watermark(), which only pre-hooks call: its column check asks the adapter, which
  the SQL lint cannot render in a model's body.
#}
{% macro loads_after_kept_watermark() -%}
(
    select file_loads.load_id
    from {{ source('audit', 'file_loads') }} as file_loads
    where file_loads.finished_at > (select max(kept._loads_through) from {{ this }} as kept)
)
{%- endmacro %}
