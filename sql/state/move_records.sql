-- Apply the lead-to-lead merges from :run_date on (those of the run date just written, or those a
-- rolled-back re-run chain put back): each record they moved goes to the lead its latest move gave
-- it (follow_moves.sql then takes its activities and outcomes along), and the absorbed leads leave
-- `leads` (their history stays, under their own id).
UPDATE lead_identities SET lead_id = (SELECT m.to_lead_id FROM lead_moves AS m WHERE m.source_lead_id =
    lead_identities.source_lead_id AND m.source_system = lead_identities.source_system AND m.run_date >= :run_date
    ORDER BY m.run_date DESC LIMIT 1)
WHERE (source_lead_id, source_system) IN (SELECT source_lead_id, source_system FROM lead_moves WHERE run_date >= :run_date);
DELETE FROM leads WHERE lead_id IN (SELECT from_lead_id FROM lead_moves WHERE run_date >= :run_date);
