-- Releases of rejections before the run date whose source record no earlier run has loaded:
-- the run loads their stored rows. The table holds reviewers' decisions, so it stays small.
SELECT r.source_system, r.source_lead_id, r.raw
FROM lead_releases AS r
WHERE r.rejected_run_date < :run_date
  AND NOT EXISTS (
      SELECT 1 FROM lead_identities AS i
      WHERE i.source_system = r.source_system AND i.source_lead_id = r.source_lead_id
        AND i.run_date < :run_date
  )
ORDER BY r.rejected_run_date, r.source_system, r.source_lead_id
