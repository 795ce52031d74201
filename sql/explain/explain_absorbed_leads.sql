-- The leads that lead-to-lead merges on or before :on absorbed into the lead, and when.
SELECT DISTINCT run_date, from_lead_id
FROM lead_moves
WHERE to_lead_id = :lead_id AND run_date <= :on
ORDER BY run_date, from_lead_id
