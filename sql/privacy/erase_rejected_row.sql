-- Keep a set-aside lead row's place in the counts, without its data.
UPDATE rejected_leads SET source_system = NULL, source_lead_id = NULL, raw = '{}'
WHERE run_date = :run_date AND row_number = :row_number
