-- Undo the lead-to-lead merges from :run_date on: each record they moved goes back to the lead it
-- had before the first of them (follow_moves.sql then takes its activities and outcomes along).
UPDATE lead_identities SET lead_id = (SELECT m.from_lead_id FROM lead_moves AS m WHERE m.source_lead_id =
    lead_identities.source_lead_id AND m.source_system = lead_identities.source_system AND m.run_date >= :run_date
    ORDER BY m.run_date LIMIT 1)
WHERE (source_lead_id, source_system) IN (SELECT source_lead_id, source_system FROM lead_moves WHERE run_date >= :run_date);
