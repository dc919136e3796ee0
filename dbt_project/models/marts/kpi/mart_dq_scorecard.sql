-- Data-quality scorecard: one row per business date, raw table and metric, with its threshold.
with

measures as (
    select * from {{ ref('int_kpi_source_loads_measured') }}
),

-- Within-source duplicates as the golden record resolved them: records of one role (person
-- records only: legal-entity branches and a person's ИП record are not duplicates) that share a
-- golden client, counted over the records delivered up to each business date.
crosswalk_tables as (
    select
        golden_client_id,
        _business_date,
        case source
            when 'abs' then 'abs__clients'
            when 'cards' then 'cards__holders'
            when 'dbo' then 'dbo__profiles'
        end as source_table
    from {{ source('golden_record', 'dim_client_crosswalk') }}
    where role in ('individual', 'card_holder', 'dbo_login')
),

records_by_date as (
    select
        source_table,
        _business_date,
        count(*) as records
    from crosswalk_tables
    group by all
),

clients_by_first_date as (
    select
        source_table,
        first_date as _business_date,
        count(*) as clients
    from (
        select
            source_table,
            golden_client_id,
            min(_business_date) as first_date
        from crosswalk_tables
        group by all
    ) as first_records
    group by all
),

duplicates as (
    select
        measures.source_table,
        measures.business_date,
        (
            select coalesce(sum(r.records), 0) from records_by_date as r
            where r.source_table = measures.source_table and r._business_date <= measures.business_date
        ) as records,
        (
            select coalesce(sum(c.clients), 0) from clients_by_first_date as c
            where c.source_table = measures.source_table and c._business_date <= measures.business_date
        ) as clients
    from measures
    where measures.source_table in (select distinct t.source_table from crosswalk_tables as t)
),

scored as (
    select
        business_date,
        source_table,
        'valid_phone_pct' as metric,
        phones_filled - phones_invalid as numerator_count,
        phones_filled as denominator_count,
        {{ var('kpi_dq_min_valid_phone_pct') }} as threshold_pct,
        'min' as threshold_kind
    from measures
    where phones_filled > 0
    union all
    select
        business_date,
        source_table,
        'valid_email_pct' as metric,
        emails_filled - emails_invalid as numerator_count,
        emails_filled as denominator_count,
        {{ var('kpi_dq_min_valid_email_pct') }} as threshold_pct,
        'min' as threshold_kind
    from measures
    where emails_filled > 0
    union all
    select
        business_date,
        source_table,
        'mandatory_filled_pct' as metric,
        rows_loaded - rows_missing_mandatory as numerator_count,
        rows_loaded as denominator_count,
        {{ var('kpi_dq_min_mandatory_filled_pct') }} as threshold_pct,
        'min' as threshold_kind
    from measures
    where rows_loaded > 0
    union all
    select
        business_date,
        source_table,
        'quarantine_rate_pct' as metric,
        rows_rejected as numerator_count,
        rows_loaded + rows_rejected as denominator_count,
        {{ var('kpi_dq_max_quarantine_pct') }} as threshold_pct,
        'max' as threshold_kind
    from measures
    where rows_loaded + rows_rejected > 0
    union all
    select
        business_date,
        source_table,
        'duplicate_rate_pct' as metric,
        records - clients as numerator_count,
        records as denominator_count,
        {{ var('kpi_dq_max_duplicate_pct') }} as threshold_pct,
        'max' as threshold_kind
    from duplicates
    where records > 0
)

select
    business_date,
    source_table,
    metric,
    cast(numerator_count as bigint) as numerator_count,
    cast(denominator_count as bigint) as denominator_count,
    {{ kpi_pct('numerator_count', 'denominator_count') }} as value_pct,
    cast(threshold_pct as decimal(5, 2)) as threshold_pct,
    threshold_kind,
    case threshold_kind
        when 'min' then 100.0 * numerator_count / denominator_count >= threshold_pct
        else 100.0 * numerator_count / denominator_count <= threshold_pct
    end as is_passed
from scored
