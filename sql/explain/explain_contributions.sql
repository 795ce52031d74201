-- Every rule that makes up the lead's score on a run date.
SELECT kind, rule, raw_points, decay_factor, decayed_value, points
FROM score_contributions
WHERE lead_id = :lead_id AND run_date = :run_date
ORDER BY kind, points DESC, rule
