-- The lead's score on the latest date it was scored on or before :on.
SELECT s.run_date, s.fit_score, s.engagement_score, s.total_score, s.grade, s.model_version, s.matrix_cell
FROM lead_scores AS s
WHERE s.lead_id = :lead_id
  AND s.run_date = (SELECT max(p.run_date) FROM lead_scores AS p WHERE p.lead_id = :lead_id AND p.run_date <= :on)
