-- Roll an open re-run chain back: after a rewind (tasks/warehouse/rerun.py) has undone every date from
-- :run_date on, put back the rows chain_save.sql kept, mark the chain's own runs rolled back
-- and the runs it replaced succeeded again, and drop the saved tables (rerun.roll_back then
-- applies the lead-to-lead merges put back again).
UPDATE run_chains SET status = 'rolled_back', ended_at = :ended_at, error = :error WHERE chain_id = :chain_id;
DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM saved_leads);
INSERT INTO leads SELECT * FROM saved_leads;
INSERT INTO lead_history SELECT * FROM saved_lead_history;
INSERT INTO lead_identities SELECT * FROM saved_lead_identities;
INSERT INTO lead_match_keys SELECT * FROM saved_lead_match_keys;
INSERT INTO lead_merges SELECT * FROM saved_lead_merges;
INSERT INTO lead_moves SELECT * FROM saved_lead_moves;
INSERT INTO lead_scores SELECT * FROM saved_lead_scores;
INSERT INTO mql_events SELECT * FROM saved_mql_events;
INSERT INTO handoffs SELECT * FROM saved_handoffs;
INSERT INTO source_record_states SELECT * FROM saved_source_record_states;
INSERT INTO lead_retirements SELECT * FROM saved_lead_retirements;
INSERT INTO activities SELECT * FROM saved_activities;
INSERT INTO sales_outcomes SELECT * FROM saved_sales_outcomes;
INSERT INTO source_lifecycle SELECT * FROM saved_source_lifecycle;
INSERT INTO rejected_leads SELECT * FROM saved_rejected_leads;
INSERT INTO quarantined_rows SELECT * FROM saved_quarantined_rows;
DELETE FROM nurture_enrollments WHERE EXISTS (
    SELECT 1 FROM saved_nurture_enrollments AS s
    WHERE s.lead_id = nurture_enrollments.lead_id AND s.segment = nurture_enrollments.segment
      AND s.entered_run_date = nurture_enrollments.entered_run_date
);
INSERT INTO nurture_enrollments SELECT * FROM saved_nurture_enrollments;
UPDATE runs SET status = 'rolled_back'
WHERE run_date >= :run_date AND started_at >= :started_at AND status IN ('succeeded', 'superseded');
UPDATE runs SET status = 'succeeded' WHERE run_id IN (SELECT run_id FROM saved_runs);
DROP TABLE saved_leads;
DROP TABLE saved_lead_history;
DROP TABLE saved_lead_identities;
DROP TABLE saved_lead_match_keys;
DROP TABLE saved_lead_merges;
DROP TABLE saved_lead_moves;
DROP TABLE saved_lead_scores;
DROP TABLE saved_mql_events;
DROP TABLE saved_handoffs;
DROP TABLE saved_source_record_states;
DROP TABLE saved_lead_retirements;
DROP TABLE saved_activities;
DROP TABLE saved_sales_outcomes;
DROP TABLE saved_source_lifecycle;
DROP TABLE saved_rejected_leads;
DROP TABLE saved_quarantined_rows;
DROP TABLE saved_nurture_enrollments;
DROP TABLE saved_runs;
