-- How the score ranks leads (the dashboard's model ranking, and the run report's watch of the live
-- model on the latest matured cohort): the leads of the cohorts from :since through :through,
-- grouped by the score they had on their first run date (rounded to a whole point), with how many
-- of each group have reached sales acceptance and won since.
SELECT ROUND(s.total_score) AS score,
       COUNT(*)                     AS leads,
       SUM(j.reached_sales_accepted) AS sales_accepted,
       SUM(j.reached_won)           AS won
FROM lead_journeys AS j
JOIN lead_scores AS s ON s.lead_id = j.lead_id AND s.run_date = j.cohort_date
WHERE j.cohort_date >= :since AND j.cohort_date <= :through
GROUP BY ROUND(s.total_score)
ORDER BY score
