"""What sqlfluff's jinja templater lacks of dbt's context, for linting the models (.sqlfluff
``library_path``). sqlfluff renders the project's macros itself but knows neither
``adapter.dispatch`` nor dbt's own macro namespace ``dbt``; the lint dialect is DuckDB, so a
dispatched macro renders its DuckDB implementation, exactly the SQL dbt runs on DuckDB."""
