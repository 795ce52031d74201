-- Each lead's (lookup_values: lead_id) row as of the end of the day before the run date (columns
-- named: a column a user added to lead_history is not read).
SELECT h.run_date, h.lead_id, h.email, h.email_key, h.first_name, h.last_name, h.phone, h.phone_e164,
       h.company, h.job_title, h.seniority, h.department, h.industry, h.employee_count, h.annual_revenue,
       h.country, h.region, h.city, h.lead_source, h.campaign, h.utm_source, h.utm_medium, h.utm_campaign,
       h.email_consent, h.do_not_contact, h.custom_attributes, h.provenance, h.created_at, h.updated_at,
       h.fit_score, h.engagement_score, h.total_score, h.grade, h.lifecycle_stage, h.stage_changed_at,
       h.first_mql_at, h.last_mql_at, h.model_version, h.interests, h.review_on, h.first_run_date,
       h.last_run_date
FROM lookup_values AS v
CROSS JOIN lead_history AS h
WHERE h.lead_id = v.lead_id
  AND h.run_date = (
      SELECT max(p.run_date) FROM lead_history AS p
      WHERE p.lead_id = h.lead_id AND p.run_date < :run_date
  )
