-- The first and the last run date whose results are in the warehouse.
SELECT MIN(run_date) AS first_date, MAX(run_date) AS last_date FROM runs WHERE status = 'succeeded'
