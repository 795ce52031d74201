-- The run date's lead-to-lead merges (lead_moves of :run_date, written with the day's rows, its
-- records moved by move_records.sql): each absorbed lead's match keys go to the lead that absorbed
-- it too, and its open nurture enrollments end ('merged'). Its history, scores and lifecycle
-- events stay under its own id: they are what it was before the merge. A rewind
-- (tasks/warehouse/rerun.py) undoes all of it.
INSERT INTO lead_match_keys (key_hash, lead_id, run_date)
SELECT DISTINCT k.key_hash, m.to_lead_id, m.run_date
FROM (SELECT DISTINCT from_lead_id, to_lead_id, run_date FROM lead_moves WHERE run_date = :run_date) AS m
JOIN lead_match_keys AS k ON k.lead_id = m.from_lead_id
WHERE NOT EXISTS (SELECT 1 FROM lead_match_keys AS o WHERE o.key_hash = k.key_hash AND o.lead_id = m.to_lead_id);
UPDATE nurture_enrollments
SET exited_run_date = :run_date, exited_at = :merged_at, exit_reason = 'merged'
WHERE exited_run_date IS NULL
  AND lead_id IN (SELECT from_lead_id FROM lead_moves WHERE run_date = :run_date);
