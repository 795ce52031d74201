-- The succeeded runs since a date (the dashboard keeps each run date's latest).
SELECT run_id, run_date, started_at, report_path, data_docs_path
FROM runs
WHERE status = 'succeeded' AND run_date >= :since
ORDER BY run_date, started_at
