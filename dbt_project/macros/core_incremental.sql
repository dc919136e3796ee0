{#
  Rows an incremental run of a core fact (re)builds, besides a full build's all rows:
  - rows of a raw load (`_load_id`) the table does not hold yet: a new business date, and also a
    late file of an earlier date (cards deliver one two days late) or a reloaded partition,
    which a plain `_business_date > max(...)` filter would miss;
  - rows of a source client record whose golden client changed since they were written (a
    merge or split in the identity stage), so golden_client_id never goes stale.
  Together with `delete+insert` on the grain key this makes the incremental table equal to a
  full build of the same staging rows.
#}
{% macro core_rows_to_refresh(load_id_columns=['_load_id']) -%}
(
    {% for column in load_id_columns -%}
    {{ column }} not in (
        select distinct loaded.{{ column }} from {{ this }} as loaded
        where loaded.{{ column }} is not null
    )
    or
    {% endfor -%}
    client_record_key in (
        select loaded.client_record_key
        from (
            select distinct
                client_record_key,
                golden_client_id
            from {{ this }}
        ) as loaded
        left join {{ source('golden_record', 'dim_client_crosswalk') }} as crosswalk
            on loaded.client_record_key = crosswalk.record_key
        where loaded.golden_client_id is distinct from crosswalk.golden_client_id
    )
)
{%- endmacro %}
