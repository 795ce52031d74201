-- The latest rejection of one source record (its reasons and the raw row).
SELECT run_date, row_number, reasons, raw
FROM rejected_leads
WHERE source_system = :source_system AND source_lead_id = :source_lead_id AND disposition = 'rejected'
ORDER BY run_date DESC, row_number DESC
