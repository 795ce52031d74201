-- Run dates from :run_date on whose results are in the warehouse.
SELECT DISTINCT run_date FROM runs
WHERE status = 'succeeded' AND run_date >= :run_date
ORDER BY run_date
