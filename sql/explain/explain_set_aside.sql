-- When and why a source record's lead rows were set aside (rejected or quarantined), oldest first.
SELECT run_date, disposition, reasons FROM rejected_leads
WHERE source_system = :source_system AND source_lead_id = :source_lead_id
ORDER BY run_date, row_number
