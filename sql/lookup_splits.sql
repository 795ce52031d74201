-- Splits touching the day's records (:values are source_lead_ids), both ways round, with the
-- lead each side belonged to before the run date (NULL: not known yet).
SELECT s.source_system, s.source_lead_id, s.other_source_system, s.other_source_lead_id,
       a.lead_id AS lead_id, b.lead_id AS other_lead_id
FROM (
    SELECT source_system, source_lead_id, other_source_system, other_source_lead_id FROM lead_splits
    WHERE source_lead_id IN :values
    UNION
    SELECT other_source_system, other_source_lead_id, source_system, source_lead_id FROM lead_splits
    WHERE other_source_lead_id IN :values
) AS s
LEFT JOIN lead_identities AS a
  ON a.source_system = s.source_system AND a.source_lead_id = s.source_lead_id AND a.run_date < :run_date
LEFT JOIN lead_identities AS b
  ON b.source_system = s.other_source_system AND b.source_lead_id = s.other_source_lead_id
 AND b.run_date < :run_date
