-- Every stored state of every lead known by the as-of date (the fitter picks each lead's row as
-- of its snapshot date): its profile, when it first arrived, and the run date of the state.
SELECT h.run_date, h.lead_id, h.first_run_date, h.job_title, h.industry, h.employee_count, h.annual_revenue,
       h.country, h.region, h.city, h.lead_source, h.campaign, h.utm_source, h.utm_medium, h.utm_campaign,
       h.company, h.custom_attributes, h.total_score, h.fit_score
FROM lead_history AS h
WHERE h.run_date <= :as_of
