-- Keep a quarantined row's place in the counts, without its data.
UPDATE quarantined_rows SET raw = '{}'
WHERE run_date = :run_date AND file = :file AND row_number = :row_number
