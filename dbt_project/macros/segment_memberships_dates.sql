{#
  mart_segment_memberships is incremental by evaluation date (docs/warehouse.md, "Incremental
  client tables"). Its stretches before an evaluation date change only when client states of
  that date or earlier change: the RFM ranks compare every client at a date, so a build
  evaluates every client again from the first date whose states changed, and continues each
  client's stretch that was open at that date; the stretches that ended before are kept. The
  watermarks are those of the fct_client_states rows the table was built from.
#}
-- noqa: disable=LT02
-- (the indent rule cannot follow the Jinja blocks; the model lints what it renders)

{#
  The segment rules as built: a digest of int_client_segments_assigned's code and of the seg_
  vars it reads. Stretches evaluated under other rules are evaluated again, every one.
#}
{% macro segment_rules_fingerprint() -%}
{%- if execute -%}
{%- set rules = graph.nodes['model.bank_cdp.int_client_segments_assigned'].raw_code -%}
{%- set settings = [] -%}
{%- for name in modules.re.findall("var\('(\w+)'\)", rules) | unique | sort -%}
{%- do settings.append(name ~ '=' ~ var(name)) -%}
{%- endfor -%}
'{{ local_md5(rules ~ settings | join(';')) }}'
{%- else -%}
''
{%- endif -%}
{%- endmacro %}

{#
  The first evaluation date to compute again, as an ISO string, or none for every one: the
  earliest as-of date of a client state written after this table's watermarks; the latest
  evaluation it was built through (a business date that is not a month end is replaced by the
  next one; a build that changed no stretch leaves an earlier one, which is safe); a
  client whose first evaluation differs from its first stored stretch (a client whose tenure
  now starts later leaves no newer state behind). A client with no state left (merged away)
  does not count: its stretches are deleted whole (below), where its first stretch had made
  every client be evaluated again from there on every day with a merge. None when the rules
  changed or no stored stretch starts before that date.
#}
{% macro segment_memberships_recompute_from() -%}
{%- set query -%}
with

watermarks as (
    select
        {{ client_watermark('_loads_through') }} as loads_through,
        {{ client_watermark('_identity_through') }} as identity_through
),

changes as (
    select min(states.as_of_date) as changed_date
    from {{ ref('fct_client_states') }} as states, watermarks
    where
        states._loads_through > watermarks.loads_through
        or states._identity_through > watermarks.identity_through
    union all
    select max(_evaluated_through) as changed_date from {{ this }}
    union all
    select min(least(evaluated.first_date, stored.first_date)) as changed_date
    from (
        select
            golden_client_id,
            min(as_of_date) as first_date
        from {{ ref('fct_client_states') }}
        group by golden_client_id
    ) as evaluated
    full join (
        -- every segment type starts a stretch at a client's first evaluation: one type tells
        select
            golden_client_id,
            min(valid_from_date) as first_date
        from {{ this }}
        where segment_type = 'client_type'
        group by golden_client_id
    ) as stored
        on evaluated.golden_client_id = stored.golden_client_id
    where
        evaluated.first_date is distinct from stored.first_date
        and evaluated.golden_client_id is not null
)

select
    case
        when
            (select min(_segment_rules) from {{ this }}) = {{ segment_rules_fingerprint() }}
            and (select max(_segment_rules) from {{ this }}) = {{ segment_rules_fingerprint() }}
            and min(changed_date) > (select min(valid_from_date) from {{ this }})
            then min(changed_date)
    end
from changes
{%- endset -%}
{{ return(first_value_as_iso_date(query, none) if execute else none) }}
{%- endmacro %}

{#
  Pre-hook: the stretches that start on or after the first date to compute deleted (the model
  inserts them again, and updates the stretches open at that date), and every stretch of a
  client with no state left; every stretch when all dates are computed.
#}
{% macro delete_segment_memberships_to_recompute() -%}
{%- if is_incremental() -%}
{%- set from_day = segment_memberships_recompute_from() -%}
delete from {{ this }}
{%- if from_day %}
where
    valid_from_date >= date '{{ from_day }}'
    or golden_client_id not in (
        select distinct states.golden_client_id from {{ ref('fct_client_states') }} as states
    )
{%- endif %}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
