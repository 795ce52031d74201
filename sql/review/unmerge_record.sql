-- The lead a source record belongs to, and the run date it was first seen.
SELECT lead_id, run_date FROM lead_identities
WHERE source_system = :source_system AND source_lead_id = :source_lead_id
