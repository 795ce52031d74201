-- Stage counts of the succeeded runs in the baseline window before a run date (anomaly checks).
SELECT r.run_date, c.stage, c.metric, c.value
FROM runs AS r
JOIN run_counts AS c ON c.run_id = r.run_id
WHERE r.status = 'succeeded'
  AND r.run_date >= :since
  AND r.run_date < :run_date
  AND c.stage IN ('conservation', 'score', 'qualify')
