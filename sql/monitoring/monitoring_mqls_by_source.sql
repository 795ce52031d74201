-- New MQLs per run date and lead source over the report window.
SELECT e.run_date, COALESCE(l.lead_source, '(none)') AS lead_source, COUNT(*) AS mqls
FROM mql_events AS e
JOIN leads AS l ON l.lead_id = e.lead_id
WHERE e.to_stage = 'mql'
  AND e.run_date > :since
  AND e.run_date <= :run_date
GROUP BY e.run_date, COALESCE(l.lead_source, '(none)')
ORDER BY e.run_date, lead_source
