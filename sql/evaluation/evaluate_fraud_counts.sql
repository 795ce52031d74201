-- The fraud stage's counts of the runs whose results are loaded.
SELECT c.metric, c.value
FROM run_counts AS c
JOIN runs AS r ON r.run_id = c.run_id
WHERE r.status = 'succeeded' AND c.stage = 'fraud'
