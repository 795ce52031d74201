-- Conversion of one funnel dimension ('day': cohort by first run date, 'lead_source', ...).
SELECT value, leads, mqls, mql_rate, sales_accepted, sqls, won
FROM funnel_metrics
WHERE dimension = :dimension
ORDER BY value
