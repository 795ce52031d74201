-- Conversion by lead source and by cohort (first run date), in one reading of funnel_metrics
-- (which builds every lead's journey, whatever the dimension asked for).
SELECT dimension, value, leads, mqls, mql_rate, sales_accepted, sqls, won
FROM funnel_metrics
WHERE dimension IN ('lead_source', 'day')
ORDER BY dimension, value
