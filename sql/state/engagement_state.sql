-- The decayed value per engagement rule that each lead (lookup_values: lead_id) carries out of its
-- last scoring before :run_date: the engagement entries of that scoring's contributions, each a
-- JSON list [kind, rule, raw_points, decay_factor, decayed_value, points] (SQLite; PostgreSQL:
-- engagement_state_postgresql.sql). The database unpacks them: only the engagement entries travel.
SELECT s.lead_id, json_extract(e.value, '$[1]') AS rule, json_extract(e.value, '$[4]') AS decayed_value,
       s.run_date AS state_date
FROM lookup_values AS v
CROSS JOIN lead_scores AS s
CROSS JOIN json_each(s.contributions) AS e
WHERE s.lead_id = v.lead_id
  AND s.run_date = (
      SELECT max(p.run_date) FROM lead_scores AS p
      WHERE p.lead_id = s.lead_id AND p.run_date < :run_date
  )
  AND json_extract(e.value, '$[0]') = 'engagement'
