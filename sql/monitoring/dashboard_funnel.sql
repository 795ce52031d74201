-- Conversion by lead source and by cohort (first run date): the counts the dashboard draws, from one
-- reading of lead_journeys. They are funnel_metrics' counts for those two dimensions; that view
-- also builds the campaign and segment dimensions, the medians and the rejects, none of them drawn.
WITH journeys AS MATERIALIZED (
    SELECT lead_source, CAST(cohort_date AS TEXT) AS cohort, reached_mql, reached_sales_accepted,
           reached_sql, reached_won
    FROM lead_journeys
)
SELECT 'lead_source' AS dimension, lead_source AS value, COUNT(*) AS leads, SUM(reached_mql) AS mqls,
       CAST(SUM(reached_mql) AS DOUBLE PRECISION) / COUNT(*) AS mql_rate,
       SUM(reached_sales_accepted) AS sales_accepted, SUM(reached_sql) AS sqls, SUM(reached_won) AS won
FROM journeys
GROUP BY lead_source
UNION ALL
SELECT 'day', cohort, COUNT(*), SUM(reached_mql), CAST(SUM(reached_mql) AS DOUBLE PRECISION) / COUNT(*),
       SUM(reached_sales_accepted), SUM(reached_sql), SUM(reached_won)
FROM journeys
GROUP BY cohort
ORDER BY dimension, value
