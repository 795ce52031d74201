-- The enrollments of leads (lookup_values: lead_id) open at the end of the day before the run date.
SELECT e.lead_id, e.segment, e.entered_run_date, e.entered_at
FROM lookup_values AS v
CROSS JOIN nurture_enrollments AS e
WHERE e.lead_id = v.lead_id
  AND e.entered_run_date < :run_date
  AND (e.exited_run_date IS NULL OR e.exited_run_date >= :run_date)
