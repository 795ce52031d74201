SELECT source_system, source_lead_id, lead_id FROM lead_identities
