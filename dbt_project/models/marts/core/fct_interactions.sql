{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        post_hook='{{ refresh_golden_client_ids() }}',
        unique_key='interaction_id',
    )
}}

with

interactions as (

    select * from {{ ref('int_interactions_unioned') }}

),

crosswalk as (

    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}

),

attached as (

    select
        interactions.interaction_id,
        crosswalk.golden_client_id,
        interactions.client_record_key,
        interactions.source_system,
        interactions.source_record_id,
        interactions.channel,
        interactions.interaction_type,
        interactions.occurred_at,
        cast(interactions.occurred_at + interval 3 hour as date) as occurred_date,
        interactions.ended_at,
        interactions.topic,
        interactions.outcome,
        interactions.handled_by,
        interactions.is_failed,
        interactions.score,
        interactions.duration_seconds,
        interactions.amount_rub,
        interactions._business_date,
        interactions._load_id
    from interactions
    left join crosswalk on interactions.client_record_key = crosswalk.record_key

)

select
    *,
    {{ written_by_this_run() }} as _written_by
from attached
{% if is_incremental() %}
    where {{ core_rows_to_refresh({'_load_id': [
            'contact_center__calls',
            'contact_center__chats',
            'contact_center__complaints',
            'contact_center__surveys',
            'dbo__sessions',
        ]}) }}
{% endif %}
