-- engagement_state.sql on PostgreSQL: the decayed value per engagement rule that each lead
-- (lookup_values: lead_id) carries out of its last scoring before :run_date, unpacked from the
-- JSON lists [kind, rule, raw_points, decay_factor, decayed_value, points] of its contributions.
SELECT s.lead_id, e.value ->> 1 AS rule, CAST(e.value ->> 4 AS DOUBLE PRECISION) AS decayed_value,
       s.run_date AS state_date
FROM lookup_values AS v
CROSS JOIN lead_scores AS s
CROSS JOIN LATERAL json_array_elements(CAST(s.contributions AS json)) AS e (value)
WHERE s.lead_id = v.lead_id
  AND s.run_date = (
      SELECT max(p.run_date) FROM lead_scores AS p
      WHERE p.lead_id = s.lead_id AND p.run_date < :run_date
  )
  AND e.value ->> 0 = 'engagement'
