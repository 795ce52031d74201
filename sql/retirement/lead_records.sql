-- Every source record of leads (lookup_values: lead_id) known before the run date, with its latest
-- deleted state before the run date (NULL: never flagged, live).
SELECT i.lead_id, i.source_system, i.source_lead_id, s.deleted
FROM lookup_values AS v
CROSS JOIN lead_identities AS i
LEFT JOIN source_record_states AS s
  ON s.source_lead_id = i.source_lead_id AND s.source_system = i.source_system
 AND s.run_date = (
      SELECT max(p.run_date) FROM source_record_states AS p
      WHERE p.source_lead_id = i.source_lead_id AND p.source_system = i.source_system
        AND p.run_date < :run_date
  )
WHERE i.lead_id = v.lead_id
  AND i.run_date < :run_date
