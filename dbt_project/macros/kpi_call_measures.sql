-- Inbound-call KPIs shared by the daily and the per-queue contact-centre marts, over rows of
-- int_kpi_calls_classified: the counts (inside a group by) and the rates built from them.
{% macro kpi_inbound_call_counts() -%}
    count(*) filter (where is_inbound) as inbound_offered_count,
    count(*) filter (where is_inbound and is_answered) as inbound_answered_count,
    count(*) filter (where is_inbound and is_abandoned) as inbound_abandoned_count,
    count(*) filter (where is_inbound and is_short_abandon) as short_abandoned_count,
    count(*) filter (where is_inbound and is_answered_within_service_level)
        as answered_within_service_level_count,
    avg(handle_seconds) filter (where is_inbound) as average_handle_seconds,
    count(is_first_contact_resolved) as fcr_measured_count,
    count(*) filter (where is_first_contact_resolved) as fcr_resolved_count
{%- endmacro %}

{% macro kpi_inbound_call_rates(calls) -%}
    coalesce({{ calls }}.inbound_offered_count, 0) as inbound_offered_count,
    coalesce({{ calls }}.inbound_answered_count, 0) as inbound_answered_count,
    coalesce({{ calls }}.inbound_abandoned_count, 0) as inbound_abandoned_count,
    {{ kpi_pct(calls ~ '.inbound_abandoned_count', calls ~ '.inbound_offered_count') }}
        as abandonment_rate_pct,
    coalesce({{ calls }}.short_abandoned_count, 0) as short_abandoned_count,
    coalesce({{ calls }}.answered_within_service_level_count, 0)
        as answered_within_service_level_count,
    {{ kpi_pct(
        calls ~ '.answered_within_service_level_count',
        calls ~ '.inbound_offered_count - ' ~ calls ~ '.short_abandoned_count'
    ) }} as service_level_pct,
    {{ var('kpi_service_level_target_pct') }} as service_level_target_pct,
    cast({{ calls }}.average_handle_seconds as decimal(10, 1)) as average_handle_seconds,
    coalesce({{ calls }}.fcr_measured_count, 0) as fcr_measured_count,
    coalesce({{ calls }}.fcr_resolved_count, 0) as fcr_resolved_count,
    {{ kpi_pct(calls ~ '.fcr_resolved_count', calls ~ '.fcr_measured_count') }}
        as first_contact_resolution_pct
{%- endmacro %}
