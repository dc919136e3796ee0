{#
  One row per key of the first part, with the columns of every part: what left joins of the
  other parts on the key would give when each part holds at most one row per key. The parts
  are stacked and folded by one aggregation instead: left joins of several parts of millions of
  rows hold all their hash tables at once and ran out of DuckDB's 4 GB limit at bank-1m, an
  aggregation spills to disk. `parts` maps each relation (a CTE) to the columns it brings, the
  first being the one whose keys are kept; `keys` are the columns every part is keyed by.
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja loops; models calling it lint the SQL it renders)
{% macro fold_parts_by_key(parts, keys) -%}
{%- set columns = parts.values() | sum(start=[]) -%}
select
    {{ keys | join(', ') }},
    {%- for column in columns %}
    max({{ column }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from (
    {%- for part, part_columns in parts.items() %}
    select
        {{ keys | join(', ') }},
        {{ '1' if loop.first else 'null' }} as is_key_of_first_part,
        {%- for column in columns %}
        {{ column if column in part_columns else 'null' }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
) as stacked
group by {{ keys | join(', ') }}
having max(is_key_of_first_part) = 1
{%- endmacro %}
