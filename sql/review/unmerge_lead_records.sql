-- Every source record of a lead.
SELECT source_system, source_lead_id FROM lead_identities WHERE lead_id = :lead_id
ORDER BY source_system, source_lead_id
