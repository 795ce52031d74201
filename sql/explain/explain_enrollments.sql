-- The lead's nurture enrollments entered up to :on.
SELECT segment, entered_run_date, exited_run_date, exit_reason
FROM nurture_enrollments
WHERE lead_id = :lead_id AND entered_run_date <= :on
ORDER BY entered_run_date, segment
