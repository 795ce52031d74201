-- The decayed engagement value per rule that each lead carried out of its last scoring.
SELECT c.lead_id, c.rule, c.decayed_value, c.run_date AS state_date
FROM score_contributions AS c
WHERE c.kind = 'engagement'
  AND c.lead_id IN :values
  AND c.run_date = (
      SELECT max(s.run_date) FROM lead_scores AS s
      WHERE s.lead_id = c.lead_id AND s.run_date < :run_date
  )
