-- Set-aside lead rows that may hold a person's data: the raw row contains :needle (a LIKE
-- pattern, '!' escaping), or the row names one of the person's source records. The caller checks
-- each row's normalised values.
SELECT run_date, row_number, source_system, source_lead_id, raw
FROM rejected_leads
WHERE LOWER(raw) LIKE :needle ESCAPE '!'
