-- The lead's retirements (every source record deleted by its loader) and restorations up to :on.
SELECT run_date, action, source_system, source_lead_id, source_table, flag
FROM lead_retirements
WHERE lead_id = :lead_id AND run_date <= :on
ORDER BY run_date, action, source_system, source_lead_id
