-- Undo every run date from :run_date on, leaving the warehouse as the day before left it (after
-- unmove_records.sql and follow_moves.sql have undone the lead-to-lead merges: tasks/warehouse/rerun.py, rewind).
-- Golden rows changed since then go back to their last earlier version. Columns are named on both
-- sides: a column a user added to leads or lead_history is no business of this statement.
DELETE FROM leads WHERE last_run_date >= :run_date;
INSERT INTO leads (lead_id, email, email_key, first_name, last_name, phone, phone_e164, company, job_title,
                   seniority, department, industry, employee_count, annual_revenue, country, region, city,
                   lead_source, campaign, utm_source, utm_medium, utm_campaign, email_consent, do_not_contact,
                   custom_attributes, provenance, created_at, updated_at, fit_score, engagement_score, total_score, grade,
                   lifecycle_stage, stage_changed_at, first_mql_at, last_mql_at, model_version, interests,
                   review_on, first_run_date, last_run_date)
SELECT lead_id, email, email_key, first_name, last_name, phone, phone_e164, company, job_title,
       seniority, department, industry, employee_count, annual_revenue, country, region, city,
       lead_source, campaign, utm_source, utm_medium, utm_campaign, email_consent, do_not_contact,
       custom_attributes, provenance, created_at, updated_at, fit_score, engagement_score, total_score, grade,
       lifecycle_stage, stage_changed_at, first_mql_at, last_mql_at, model_version, interests,
       review_on, first_run_date, last_run_date
FROM lead_history AS h
WHERE h.lead_id IN (SELECT lead_id FROM lead_history WHERE run_date >= :run_date
                    UNION SELECT from_lead_id FROM lead_moves WHERE run_date >= :run_date)
  AND h.run_date = (
      SELECT max(p.run_date) FROM lead_history AS p
      WHERE p.lead_id = h.lead_id AND p.run_date < :run_date
  );
DELETE FROM lead_history WHERE run_date >= :run_date;
DELETE FROM lead_moves WHERE run_date >= :run_date;
DELETE FROM lead_identities WHERE run_date >= :run_date;
DELETE FROM lead_match_keys WHERE run_date >= :run_date;
DELETE FROM lead_merges WHERE run_date >= :run_date;
DELETE FROM lead_scores WHERE run_date >= :run_date;
DELETE FROM mql_events WHERE run_date >= :run_date;
DELETE FROM handoffs WHERE run_date >= :run_date;
DELETE FROM source_record_states WHERE run_date >= :run_date;
DELETE FROM lead_retirements WHERE run_date >= :run_date;
DELETE FROM nurture_enrollments WHERE entered_run_date >= :run_date;
UPDATE nurture_enrollments
SET exited_run_date = NULL, exited_at = NULL, exit_reason = NULL
WHERE exited_run_date >= :run_date;
DELETE FROM activities WHERE run_date >= :run_date;
DELETE FROM sales_outcomes WHERE run_date >= :run_date;
DELETE FROM source_lifecycle WHERE run_date >= :run_date;
DELETE FROM rejected_leads WHERE run_date >= :run_date;
DELETE FROM quarantined_rows WHERE run_date >= :run_date;
UPDATE runs SET status = 'superseded' WHERE run_date >= :run_date AND status = 'succeeded';
