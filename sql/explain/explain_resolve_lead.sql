-- The lead a user names: by lead id, or by a source record (system and id).
SELECT lead_id FROM leads WHERE lead_id = :lead
UNION
SELECT lead_id FROM lead_identities WHERE source_system = :source_system AND source_lead_id = :source_lead_id
