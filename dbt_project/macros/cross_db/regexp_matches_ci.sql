-- Whether a text matches a regular expression, case-insensitively (Cyrillic included). The
-- pattern is a SQL string body: single quotes doubled, backslashes as the regex wants them.
{% macro regexp_matches_ci(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches_ci', 'bank_cdp')(text, pattern)) }}
{%- endmacro %}

-- RE2's 'i' flag folds Unicode case: no lower() on every Cyrillic text (docs/warehouse.md).
{% macro duckdb__regexp_matches_ci(text, pattern) -%}
    regexp_matches({{ text }}, '{{ pattern }}', 'i')
{%- endmacro %}

-- Java regex: (?i) alone folds ASCII only, (?u) adds Unicode. Spark string literals treat a
-- backslash as an escape, so it is doubled to reach the regex unchanged.
{% macro spark__regexp_matches_ci(text, pattern) -%}
    {{ text }} rlike '(?iu){{ pattern | replace("\\", "\\\\") }}'
{%- endmacro %}
