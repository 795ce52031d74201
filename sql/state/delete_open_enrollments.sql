-- Open enrollments of the day's leads; the run writes them back, closed or still open.
DELETE FROM nurture_enrollments WHERE lead_id IN :values AND exited_run_date IS NULL
