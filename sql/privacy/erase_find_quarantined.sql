-- Quarantined activity and outcome rows whose raw row contains :needle (a LIKE pattern, '!'
-- escaping); the caller checks each row's source record.
SELECT run_date, file, row_number, raw
FROM quarantined_rows
WHERE LOWER(raw) LIKE :needle ESCAPE '!'
