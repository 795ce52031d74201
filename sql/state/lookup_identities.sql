-- The source records among the day's (lookup_values: source_system, source_lead_id) known
-- before the run date, with their lead. lookup_values drives the join (CROSS JOIN keeps that
-- order on SQLite), probing the primary key.
SELECT i.source_system, i.source_lead_id, i.lead_id
FROM lookup_values AS v
CROSS JOIN lead_identities AS i
WHERE i.source_lead_id = v.source_lead_id
  AND i.source_system = v.source_system
  AND i.run_date < :run_date
