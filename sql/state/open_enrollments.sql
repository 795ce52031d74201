-- Enrollments that were open at the end of the day before the run date.
SELECT lead_id, segment, entered_run_date, entered_at
FROM nurture_enrollments
WHERE lead_id IN :values
  AND entered_run_date < :run_date
  AND (exited_run_date IS NULL OR exited_run_date >= :run_date)
