-- Open enrollments of the day's leads (lookup_values); the run writes them back, closed or still open.
DELETE FROM nurture_enrollments WHERE lead_id IN (SELECT lead_id FROM lookup_values) AND exited_run_date IS NULL
