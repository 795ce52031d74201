-- Scores of the leads scored on the run date (report histograms).
SELECT fit_score, engagement_score, total_score
FROM lead_scores
WHERE run_date = :run_date
