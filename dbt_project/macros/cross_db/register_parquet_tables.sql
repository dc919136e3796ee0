{#
  Operation for engines that read files in place (Spark): register Parquet folders as tables,
  so the raw and golden-record sources exist there under their own schema and table names.
  `tables` is a list of [schema, table]; each is read from `<parquet_dir>/<schema>/<table>`.
  `dbt run-operation register_parquet_tables --target spark --args '{...}'`; the test
  tests/portability/test_dbt_spark.py exports the DuckDB tables to those folders first.
#}
{% macro register_parquet_tables(parquet_dir, tables) %}
    {% for schema, table in tables %}
        {% set relation = api.Relation.create(schema=schema, identifier=table, type='table') %}
        {% set location = parquet_dir ~ '/' ~ schema ~ '/' ~ table %}
        {% do run_query('create schema if not exists ' ~ schema) %}
        {% do run_query('drop table if exists ' ~ relation) %}
        {% do run_query("create table " ~ relation ~ " using parquet location '" ~ location ~ "'") %}
    {% endfor %}
    {% do log('registered ' ~ tables | length ~ ' tables from ' ~ parquet_dir, info=true) %}
{% endmacro %}
