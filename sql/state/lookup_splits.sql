-- Splits touching the day's records (lookup_values: source_system, source_lead_id), both ways
-- round, with the lead each side belonged to before the run date (NULL: not known yet).
SELECT s.source_system, s.source_lead_id, s.other_source_system, s.other_source_lead_id,
       a.lead_id AS lead_id, b.lead_id AS other_lead_id
FROM (
    SELECT p.source_system, p.source_lead_id, p.other_source_system, p.other_source_lead_id
    FROM lookup_values AS v CROSS JOIN lead_splits AS p
    WHERE p.source_lead_id = v.source_lead_id AND p.source_system = v.source_system
    UNION
    SELECT p.other_source_system, p.other_source_lead_id, p.source_system, p.source_lead_id
    FROM lookup_values AS v CROSS JOIN lead_splits AS p
    WHERE p.other_source_lead_id = v.source_lead_id AND p.other_source_system = v.source_system
) AS s
LEFT JOIN lead_identities AS a
  ON a.source_system = s.source_system AND a.source_lead_id = s.source_lead_id AND a.run_date < :run_date
LEFT JOIN lead_identities AS b
  ON b.source_system = s.other_source_system AND b.source_lead_id = s.other_source_lead_id
 AND b.run_date < :run_date
