-- Open a re-run chain from :run_date: record it, then keep every row that re-running the
-- dates from :run_date on replaces (what wipe_from_date.sql deletes or changes), so that
-- chain_restore.sql can put them back. The journal row comes first: on SQLite it opens the
-- transaction that the table statements then join.
INSERT INTO run_chains (chain_id, from_date, through_date, status, started_at, started_by)
VALUES (:chain_id, :run_date, :through_date, 'open', :started_at, :started_by);
DROP TABLE IF EXISTS saved_leads;
CREATE TABLE saved_leads AS SELECT * FROM leads WHERE 1 = 0;
INSERT INTO saved_leads SELECT * FROM leads WHERE last_run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_history;
CREATE TABLE saved_lead_history AS SELECT * FROM lead_history WHERE 1 = 0;
INSERT INTO saved_lead_history SELECT * FROM lead_history WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_identities;
CREATE TABLE saved_lead_identities AS SELECT * FROM lead_identities WHERE 1 = 0;
INSERT INTO saved_lead_identities SELECT * FROM lead_identities WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_match_keys;
CREATE TABLE saved_lead_match_keys AS SELECT * FROM lead_match_keys WHERE 1 = 0;
INSERT INTO saved_lead_match_keys SELECT * FROM lead_match_keys WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_merges;
CREATE TABLE saved_lead_merges AS SELECT * FROM lead_merges WHERE 1 = 0;
INSERT INTO saved_lead_merges SELECT * FROM lead_merges WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_moves;
CREATE TABLE saved_lead_moves AS SELECT * FROM lead_moves WHERE 1 = 0;
INSERT INTO saved_lead_moves SELECT * FROM lead_moves WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_scores;
CREATE TABLE saved_lead_scores AS SELECT * FROM lead_scores WHERE 1 = 0;
INSERT INTO saved_lead_scores SELECT * FROM lead_scores WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_mql_events;
CREATE TABLE saved_mql_events AS SELECT * FROM mql_events WHERE 1 = 0;
INSERT INTO saved_mql_events SELECT * FROM mql_events WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_handoffs;
CREATE TABLE saved_handoffs AS SELECT * FROM handoffs WHERE 1 = 0;
INSERT INTO saved_handoffs SELECT * FROM handoffs WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_source_record_states;
CREATE TABLE saved_source_record_states AS SELECT * FROM source_record_states WHERE 1 = 0;
INSERT INTO saved_source_record_states SELECT * FROM source_record_states WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_lead_retirements;
CREATE TABLE saved_lead_retirements AS SELECT * FROM lead_retirements WHERE 1 = 0;
INSERT INTO saved_lead_retirements SELECT * FROM lead_retirements WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_activities;
CREATE TABLE saved_activities AS SELECT * FROM activities WHERE 1 = 0;
INSERT INTO saved_activities SELECT * FROM activities WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_sales_outcomes;
CREATE TABLE saved_sales_outcomes AS SELECT * FROM sales_outcomes WHERE 1 = 0;
INSERT INTO saved_sales_outcomes SELECT * FROM sales_outcomes WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_source_lifecycle;
CREATE TABLE saved_source_lifecycle AS SELECT * FROM source_lifecycle WHERE 1 = 0;
INSERT INTO saved_source_lifecycle SELECT * FROM source_lifecycle WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_rejected_leads;
CREATE TABLE saved_rejected_leads AS SELECT * FROM rejected_leads WHERE 1 = 0;
INSERT INTO saved_rejected_leads SELECT * FROM rejected_leads WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_quarantined_rows;
CREATE TABLE saved_quarantined_rows AS SELECT * FROM quarantined_rows WHERE 1 = 0;
INSERT INTO saved_quarantined_rows SELECT * FROM quarantined_rows WHERE run_date >= :run_date;
DROP TABLE IF EXISTS saved_nurture_enrollments;
CREATE TABLE saved_nurture_enrollments AS SELECT * FROM nurture_enrollments WHERE 1 = 0;
INSERT INTO saved_nurture_enrollments SELECT * FROM nurture_enrollments
WHERE entered_run_date >= :run_date OR exited_run_date >= :run_date;
DROP TABLE IF EXISTS saved_runs;
CREATE TABLE saved_runs AS SELECT run_id FROM runs WHERE 1 = 0;
INSERT INTO saved_runs SELECT run_id FROM runs WHERE run_date >= :run_date AND status = 'succeeded';
