-- The run date's lead rows set aside, with their release if a reviewer let one through.
SELECT s.row_number, s.disposition, s.source_system, s.source_lead_id, s.reasons, s.raw,
       r.released_by, r.released_at, r.note
FROM rejected_leads AS s
LEFT JOIN lead_releases AS r
       ON r.source_system = s.source_system AND r.source_lead_id = s.source_lead_id
WHERE s.run_date = :run_date
ORDER BY s.row_number
