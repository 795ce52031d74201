-- The rows of the day's leads (lookup_values); the run writes them back.
DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM lookup_values)
