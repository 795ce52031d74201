-- After records moved between leads (lead_moves from :run_date on: merged, moved back on a rewind,
-- or moved again when a rewind is rolled back), the activities, outcomes and source lifecycle flags
-- loaded before :run_date of the leads on either side follow their source record's lead.
UPDATE activities SET lead_id = (SELECT i.lead_id FROM lead_identities AS i WHERE i.source_system =
    activities.source_system AND i.source_lead_id = activities.source_lead_id)
WHERE run_date < :run_date AND lead_id IN (SELECT from_lead_id FROM lead_moves WHERE run_date >= :run_date
    UNION SELECT to_lead_id FROM lead_moves WHERE run_date >= :run_date);
UPDATE sales_outcomes SET lead_id = (SELECT i.lead_id FROM lead_identities AS i WHERE i.source_system =
    sales_outcomes.source_system AND i.source_lead_id = sales_outcomes.source_lead_id)
WHERE run_date < :run_date AND lead_id IN (SELECT from_lead_id FROM lead_moves WHERE run_date >= :run_date
    UNION SELECT to_lead_id FROM lead_moves WHERE run_date >= :run_date);
UPDATE source_lifecycle SET lead_id = (SELECT i.lead_id FROM lead_identities AS i WHERE i.source_system =
    source_lifecycle.source_system AND i.source_lead_id = source_lifecycle.source_lead_id)
WHERE run_date < :run_date AND lead_id IN (SELECT from_lead_id FROM lead_moves WHERE run_date >= :run_date
    UNION SELECT to_lead_id FROM lead_moves WHERE run_date >= :run_date);
