-- One row per retail golden client × calendar month of the history whose end the data has
-- reached (months CTE): what the client did in that month, summed once, so the point-in-time
-- features (models/ml) only window over months. Every measure is dated by the event's own
-- date, so the month holds nothing after its end.
-- (macros/ml_client_months.sql, which the incremental churn features also call per client)

{{ ml_client_months() }}
