-- The contributions of each lead (lookup_values: lead_id) at its last scoring before :run_date:
-- their engagement entries hold the decayed value per rule it carries out of it.
SELECT s.lead_id, s.contributions, s.run_date AS state_date
FROM lookup_values AS v
CROSS JOIN lead_scores AS s
WHERE s.lead_id = v.lead_id
  AND s.run_date = (
      SELECT max(p.run_date) FROM lead_scores AS p
      WHERE p.lead_id = s.lead_id AND p.run_date < :run_date
  )
