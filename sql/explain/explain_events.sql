-- The lead's lifecycle up to :on.
SELECT run_date, from_stage, to_stage, occurred_at, cause, detail
FROM mql_events
WHERE lead_id = :lead_id AND run_date <= :on
ORDER BY run_date, seq
