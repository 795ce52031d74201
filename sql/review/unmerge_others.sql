-- The other source records of a lead, with the run date each was first seen.
SELECT source_system, source_lead_id, run_date FROM lead_identities
WHERE lead_id = :lead_id AND NOT (source_system = :source_system AND source_lead_id = :source_lead_id)
ORDER BY run_date, source_system, source_lead_id
