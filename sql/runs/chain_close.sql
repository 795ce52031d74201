-- Close a re-run chain whose last replaced date has been re-run: its saved rows go.
UPDATE run_chains SET status = 'committed', ended_at = :ended_at WHERE chain_id = :chain_id;
DROP TABLE IF EXISTS saved_leads;
DROP TABLE IF EXISTS saved_lead_history;
DROP TABLE IF EXISTS saved_lead_identities;
DROP TABLE IF EXISTS saved_lead_match_keys;
DROP TABLE IF EXISTS saved_lead_merges;
DROP TABLE IF EXISTS saved_lead_scores;
DROP TABLE IF EXISTS saved_score_contributions;
DROP TABLE IF EXISTS saved_mql_events;
DROP TABLE IF EXISTS saved_handoffs;
DROP TABLE IF EXISTS saved_source_record_states;
DROP TABLE IF EXISTS saved_lead_retirements;
DROP TABLE IF EXISTS saved_activities;
DROP TABLE IF EXISTS saved_sales_outcomes;
DROP TABLE IF EXISTS saved_rejected_leads;
DROP TABLE IF EXISTS saved_quarantined_rows;
DROP TABLE IF EXISTS saved_nurture_enrollments;
DROP TABLE IF EXISTS saved_runs;
