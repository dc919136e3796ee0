{#
  Not-null columns are constraints of the models' contracts (docs/warehouse.md, "Contracts and
  constraints"): DuckDB refuses a null as the row is written, so a table never holds one and no
  separate test reads the table again for it. A table built whole gets its constraints from the
  contract; an incremental table keeps those it was created with. This pre-hook adds, before an
  increment, the declared not-null constraints a stored table lacks — a table that older code
  built, or a column declared not null since. DuckDB checks the stored rows as it adds one and
  names the column when a row is null. Spark enforces constraints only on Delta tables, which
  the optional Spark target does not use: there the hook does nothing.
#}
{% macro declared_not_null_constraints_added() -%}
    {{ return(adapter.dispatch('declared_not_null_constraints_added', 'bank_cdp')()) }}
{%- endmacro %}

{% macro default__declared_not_null_constraints_added() -%}
{%- endmacro %}

{% macro duckdb__declared_not_null_constraints_added() -%}
    {%- if execute and is_incremental() and config.get('contract').enforced -%}
        {%- set declared = [] -%}
        {%- for column in model.columns.values() -%}
            {%- if 'not_null' in column.constraints | map(attribute='type') | list -%}
                {%- do declared.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if declared -%}
            {%- set lacking = run_query(
                "select column_name from duckdb_columns() where is_nullable"
                ~ " and database_name = '" ~ this.database ~ "'"
                ~ " and schema_name = '" ~ this.schema ~ "'"
                ~ " and table_name = '" ~ this.identifier ~ "'"
                ~ " and column_name in ('" ~ declared | join("', '") ~ "')"
            ) -%}
            {%- for name in lacking.columns[0].values() %}
    alter table {{ this }} alter column {{ adapter.quote(name) }} set not null;
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
