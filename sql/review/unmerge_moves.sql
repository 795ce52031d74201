-- The records a lead-to-lead merge moved out of a lead (it was absorbed), with the date.
SELECT run_date, source_system, source_lead_id FROM lead_moves
WHERE from_lead_id = :lead_id
ORDER BY run_date, source_system, source_lead_id
