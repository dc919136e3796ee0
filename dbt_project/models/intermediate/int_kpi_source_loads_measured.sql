-- One row per raw table and business date: rows loaded and rejected, rows missing a mandatory
-- field, and filled and invalid phones and e-mails. "Invalid" and "missing" are the loader's own
-- field flags in quarantine (ingestion/field_rules.py, the rules the Great Expectations gates
-- use), so the scorecard agrees with the load checks. Raw, not staging: staging keeps only the
-- latest version of an entity, while quality is judged per delivered business date.
{#- Every raw table (the file contracts), and the columns whose contracts check phone or e-mail
    validity; the integration test tests/integration/test_warehouse_kpi.py compares both with
    ingestion.contracts. -#}
{%- set tables = [
    'abs__clients', 'abs__accounts', 'abs__contracts', 'abs__consents', 'abs__transactions',
    'abs__balances', 'cards__holders', 'cards__cards', 'cards__limits', 'cards__blocks',
    'cards__authorizations', 'cards__clearings', 'dbo__sessions', 'dbo__events',
    'dbo__applications', 'dbo__profiles', 'dbo__client_mappings', 'contact_center__calls',
    'contact_center__chats', 'contact_center__complaints', 'contact_center__surveys',
    'contact_center__communications',
] -%}
{%- set phone_columns = {
    'abs__clients': 'mobile_phone', 'cards__holders': 'mobile_phone',
    'dbo__profiles': 'mobile_phone', 'contact_center__calls': 'caller_phone',
} -%}
{%- set email_columns = {
    'abs__clients': 'email', 'cards__holders': 'email', 'dbo__profiles': 'email',
} %}
with

{% for table in tables %}
    loaded_{{ table }} as (
        select
            _business_date as business_date,
            count(*) as rows_loaded,
            {{ 'count(' ~ phone_columns[table] ~ ')' if table in phone_columns else 'null' }}
                as phones_filled,
            {{ 'count(' ~ email_columns[table] ~ ')' if table in email_columns else 'null' }}
                as emails_filled
        from {{ source('raw', table) }}
        group by _business_date
    ),

    flagged_{{ table }} as (
        select
            _business_date as business_date,
            count(*) filter (where is_rejected) as rows_rejected,
            count(distinct _load_id || '/' || line_number) filter (
                where not is_rejected and reason = 'missing_mandatory'
            ) as rows_missing_mandatory,
            count(*) filter (where not is_rejected and reason = 'invalid_phone') as phones_invalid,
            count(*) filter (where not is_rejected and reason = 'invalid_email') as emails_invalid
        from {{ source('quarantine', table) }}
        group by _business_date
    ),

{% endfor %}
measured as (
    {%- for table in tables %}
        select
            '{{ table }}' as source_table,
            coalesce(loaded.business_date, flagged.business_date) as business_date,
            coalesce(loaded.rows_loaded, 0) as rows_loaded,
            coalesce(flagged.rows_rejected, 0) as rows_rejected,
            coalesce(flagged.rows_missing_mandatory, 0) as rows_missing_mandatory,
            loaded.phones_filled,
            {{ 'coalesce(flagged.phones_invalid, 0)' if table in phone_columns else 'null' }}
                as phones_invalid,
            loaded.emails_filled,
            {{ 'coalesce(flagged.emails_invalid, 0)' if table in email_columns else 'null' }}
                as emails_invalid
        from loaded_{{ table }} as loaded
        full outer join flagged_{{ table }} as flagged
            on loaded.business_date = flagged.business_date
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    source_table,
    business_date,
    rows_loaded,
    rows_rejected,
    rows_missing_mandatory,
    cast(phones_filled as bigint) as phones_filled,
    cast(phones_invalid as bigint) as phones_invalid,
    cast(emails_filled as bigint) as emails_filled,
    cast(emails_invalid as bigint) as emails_invalid
from measured
