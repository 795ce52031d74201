-- The run date's history: the leads rows it wrote (last_run_date = :run_date, after
-- wipe_from_date.sql and before any lead-to-lead merge), copied inside the warehouse rather than
-- sent a second time. Columns are named on both sides: a column a user added to leads or
-- lead_history is no business of this statement.
INSERT INTO lead_history (run_date, lead_id, email, email_key, first_name, last_name, phone, phone_e164, company,
                          job_title, seniority, department, industry, employee_count, annual_revenue, country, region,
                          city, lead_source, campaign, utm_source, utm_medium, utm_campaign, email_consent,
                          do_not_contact, custom_attributes, provenance, created_at, updated_at, fit_score,
                          engagement_score, total_score, grade, lifecycle_stage, stage_changed_at, first_mql_at,
                          last_mql_at, model_version, interests, review_on, first_run_date, last_run_date)
SELECT last_run_date, lead_id, email, email_key, first_name, last_name, phone, phone_e164, company,
       job_title, seniority, department, industry, employee_count, annual_revenue, country, region,
       city, lead_source, campaign, utm_source, utm_medium, utm_campaign, email_consent,
       do_not_contact, custom_attributes, provenance, created_at, updated_at, fit_score,
       engagement_score, total_score, grade, lifecycle_stage, stage_changed_at, first_mql_at,
       last_mql_at, model_version, interests, review_on, first_run_date, last_run_date
FROM leads
WHERE last_run_date = :run_date;
