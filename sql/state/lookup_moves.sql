-- Lead-to-lead merges made on or after the run date (rare; none in a nightly run): the records
-- they moved, each with the lead it had before the run date (its first such move's from_lead_id)
-- and the lead holding it now. A re-run reads the lead base as it was before them.
SELECT m.source_system, m.source_lead_id, m.from_lead_id, m.to_lead_id, m.run_date
FROM lead_moves AS m
WHERE m.run_date >= :run_date
ORDER BY m.run_date, m.source_system, m.source_lead_id
