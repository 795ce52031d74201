-- The latest run date whose results are in the warehouse.
SELECT MAX(run_date) AS run_date FROM runs WHERE status = 'succeeded'
