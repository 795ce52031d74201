-- The run date's activity and outcome rows quarantined by validation.
SELECT file, row_number, reasons, raw
FROM quarantined_rows
WHERE run_date = :run_date
ORDER BY file, row_number
