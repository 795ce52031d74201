-- Source records of the day already known before the run date (:values are source_lead_ids).
SELECT source_system, source_lead_id, lead_id
FROM lead_identities
WHERE source_lead_id IN :values
  AND run_date < :run_date
