-- The counts of the succeeded runs since a date (the dashboard's charts and anomaly marks).
SELECT c.run_id, c.stage, c.metric, c.value
FROM run_counts AS c
JOIN runs AS r ON r.run_id = c.run_id
WHERE r.status = 'succeeded' AND r.run_date >= :since
  AND (c.stage IN ('conservation', 'score', 'qualify') OR c.metric LIKE 'rejected:%')
