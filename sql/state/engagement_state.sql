-- The decayed engagement value per rule that each lead (lookup_values: lead_id) carried out of its
-- last scoring.
SELECT c.lead_id, c.rule, c.decayed_value, c.run_date AS state_date
FROM lookup_values AS v
CROSS JOIN score_contributions AS c
WHERE c.lead_id = v.lead_id
  AND c.kind = 'engagement'
  AND c.run_date = (
      SELECT max(s.run_date) FROM lead_scores AS s
      WHERE s.lead_id = c.lead_id AND s.run_date < :run_date
  )
