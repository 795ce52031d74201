-- The scores of some leads (:values) on each date of :start to :end they were scored.
SELECT lead_id, run_date, fit_score, total_score
FROM lead_scores
WHERE lead_id IN :values AND run_date >= :start AND run_date <= :end
