-- Whether :run_date's results are loaded (a succeeded run).
SELECT count(*) AS runs FROM runs WHERE status = 'succeeded' AND run_date = :run_date
