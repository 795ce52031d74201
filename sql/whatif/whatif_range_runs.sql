-- The runs of :start to :end that left results (succeeded) or found no extracts (no_data), with the
-- options they ran with (the extracts location among them) and their model's version.
SELECT run_date, status, parameters, model_version
FROM runs
WHERE run_date >= :start AND run_date <= :end AND status IN ('succeeded', 'no_data')
ORDER BY run_date, started_at
