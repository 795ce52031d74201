-- The latest run attempts with their main counts (`mql status`).
SELECT r.run_date, r.status, r.started_at, r.ended_at, r.model_version,
       SUM(CASE WHEN c.stage = 'conservation' AND c.metric = 'leads_in' THEN c.value END) AS leads_in,
       SUM(CASE WHEN c.stage = 'conservation' AND c.metric = 'written' THEN c.value END) AS written,
       SUM(CASE WHEN c.stage = 'conservation' AND c.metric = 'merged' THEN c.value END) AS merged,
       SUM(CASE WHEN c.stage = 'conservation' AND c.metric = 'rejected' THEN c.value END) AS rejected,
       SUM(CASE WHEN c.stage = 'conservation' AND c.metric = 'quarantined' THEN c.value END) AS quarantined,
       SUM(CASE WHEN c.stage = 'qualify' AND c.metric = 'new_mqls' THEN c.value END) AS new_mqls,
       r.error, r.report_path
FROM runs AS r
LEFT JOIN run_counts AS c ON c.run_id = r.run_id
GROUP BY r.run_id, r.run_date, r.status, r.started_at, r.ended_at, r.model_version, r.error, r.report_path
ORDER BY r.started_at DESC
LIMIT :limit
