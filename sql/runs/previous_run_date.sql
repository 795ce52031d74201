-- The latest loaded run date before :run_date.
SELECT max(run_date) AS run_date FROM runs
WHERE status = 'succeeded' AND run_date < :run_date
