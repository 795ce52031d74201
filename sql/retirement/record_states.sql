-- The latest deleted state before the run date of source records (lookup_values: source_system,
-- source_lead_id) that have one; a record without a row is live.
SELECT s.source_system, s.source_lead_id, s.deleted
FROM lookup_values AS v
CROSS JOIN source_record_states AS s
WHERE s.source_lead_id = v.source_lead_id
  AND s.source_system = v.source_system
  AND s.run_date = (
      SELECT max(p.run_date) FROM source_record_states AS p
      WHERE p.source_lead_id = s.source_lead_id AND p.source_system = s.source_system
        AND p.run_date < :run_date
  )
