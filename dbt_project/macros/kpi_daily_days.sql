{#
  mart_kpi_daily is incremental by day (docs/warehouse.md, "Incremental client tables"). Its
  active base is a running sum of the days clients become active and churn, and a client's
  operation day changes those counts only on that day, on the day its next stretch starts and
  90 days after it or after the operation before — never before the first client day that
  changed. So a build computes the days from the first one that may differ (the client days its
  new loads and golden-id changes touch, the surveys of its new loads, a day whose count of new
  clients differs, the days after the stored ones) and continues the stored active base of the
  day before; the days before it are kept. The watermarks are the client tables'.
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the model lints what it renders)

{#
  The first day to compute as an ISO string, or none for every day: when the stored mart starts
  on another first day (an earlier posting arrived) or the first changed day has not the 30
  stored days before it that the retention's window reads.
#}
{% macro kpi_daily_recompute_from(first_full_date, business_date, new_clients) -%}
{%- set loads = loads_after_watermark() -%}
{%- set query -%}
with

changes as (
    select min(refresh_from_date) as changed_day
    from ({{ clients_to_refresh() }}) as touched
    union all
    select min(occurred_date) as changed_day
    from {{ ref('fct_interactions') }}
    where {{ load_id_in('_load_id', loads) }}
    union all
    select min(coalesce(computed.date_day, stored.date_day)) as changed_day
    from ({{ new_clients }}) as computed
    full join {{ this }} as stored on computed.date_day = stored.date_day
    where
        coalesce(computed.date_day, stored.date_day) >= {{ first_full_date }}
        and coalesce(computed.date_day, stored.date_day) <= {{ business_date }}
        and coalesce(computed.new_clients_count, 0) <> coalesce(stored.new_clients_count, 0)
    union all
    select max(date_day) + 1 as changed_day from {{ this }}
)

select
    case
        when
            (select min(date_day) from {{ this }}) = {{ first_full_date }}
            and min(changed_day) - 30 >= {{ first_full_date }}
            then min(changed_day)
    end
from changes
{%- endset -%}
{{ return(first_value_as_iso_date(query, none) if execute else none) }}
{%- endmacro %}
