-- Client contacts of every system on one timeline, before the golden client is attached: one
-- row per call, chat, ДБО login attempt, complaint and answered survey. client_record_key names
-- the source record the system itself ties the contact to ("abs:<КОД_КЛИЕНТА>" when the contact
-- centre identified the client, "dbo:<login>" for a ДБО session or a chat known only by its
-- login), the form of dim_client_crosswalk.record_key.
with

calls as (

    select
        'call:' || call_id as interaction_id,
        'contact_center' as source_system,
        call_id as source_record_id,
        'abs:' || abs_client_id as client_record_key,
        'phone' as channel,
        'call_' || direction as interaction_type,
        started_at as occurred_at,
        ended_at,
        topic,
        outcome,
        queue as handled_by,
        is_abandoned as is_failed,
        cast(null as bigint) as score,
        talk_seconds + hold_seconds as duration_seconds,
        cast(null as decimal(18, 2)) as amount_rub,
        _business_date,
        _load_id
    from {{ ref('stg_contact_center__calls') }}

),

chats as (

    select
        'chat:' || chat_id as interaction_id,
        'contact_center' as source_system,
        chat_id as source_record_id,
        coalesce('abs:' || abs_client_id, 'dbo:' || login_id) as client_record_key,
        'chat_' || channel as channel,
        'chat' as interaction_type,
        started_at as occurred_at,
        ended_at,
        topic,
        outcome,
        cast(null as {{ dbt.type_string() }}) as handled_by,
        false as is_failed,
        csat_score as score,
        cast({{ dbt.datediff('started_at', 'ended_at', 'second') }} as bigint) as duration_seconds,
        cast(null as decimal(18, 2)) as amount_rub,
        _business_date,
        _load_id
    from {{ ref('stg_contact_center__chats') }}

),

sessions as (

    select
        'dbo_session:' || session_id as interaction_id,
        'dbo' as source_system,
        session_id as source_record_id,
        'dbo:' || login_id as client_record_key,
        'dbo_' || channel as channel,
        'dbo_login' as interaction_type,
        started_at as occurred_at,
        ended_at,
        cast(null as {{ dbt.type_string() }}) as topic,
        result as outcome,
        auth_method as handled_by,
        result = 'fail' as is_failed,
        cast(null as bigint) as score,
        cast({{ dbt.datediff('started_at', 'ended_at', 'second') }} as bigint) as duration_seconds,
        cast(null as decimal(18, 2)) as amount_rub,
        _business_date,
        _load_id
    from {{ ref('stg_dbo__sessions') }}

),

complaints as (

    select
        'complaint:' || complaint_id as interaction_id,
        'contact_center' as source_system,
        complaint_id as source_record_id,
        'abs:' || abs_client_id as client_record_key,
        'complaint_' || channel as channel,
        'complaint' as interaction_type,
        received_at as occurred_at,
        closed_at as ended_at,
        category as topic,
        coalesce(resolution, status) as outcome,
        product as handled_by,
        false as is_failed,
        cast(null as bigint) as score,
        cast({{ dbt.datediff('received_at', 'closed_at', 'second') }} as bigint) as duration_seconds,
        amount_claimed_rub as amount_rub,
        _business_date,
        _load_id
    from {{ ref('stg_contact_center__complaints') }}

),

surveys as (

    select
        'survey:' || survey_id as interaction_id,
        'contact_center' as source_system,
        survey_id as source_record_id,
        'abs:' || abs_client_id as client_record_key,
        'survey' as channel,
        'survey_' || survey_type as interaction_type,
        answered_at as occurred_at,
        answered_at as ended_at,
        cast(null as {{ dbt.type_string() }}) as topic,
        cast(null as {{ dbt.type_string() }}) as outcome,
        call_id as handled_by,
        false as is_failed,
        score,
        cast(null as bigint) as duration_seconds,
        cast(null as decimal(18, 2)) as amount_rub,
        _business_date,
        _load_id
    from {{ ref('stg_contact_center__surveys') }}
    -- a survey is a client contact once answered; unanswered sends are bank outreach
    where answered_at is not null

)

select * from calls
union all
select * from chats
union all
select * from sessions
union all
select * from complaints
union all
select * from surveys
