-- The contributions that make up the lead's score on a run date (a JSON list, see lead_scores).
SELECT contributions
FROM lead_scores
WHERE lead_id = :lead_id AND run_date = :run_date
