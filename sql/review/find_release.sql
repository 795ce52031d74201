-- The release of one source record, if any.
SELECT source_system, source_lead_id, rejected_run_date, released_by, released_at, note
FROM lead_releases
WHERE source_system = :source_system AND source_lead_id = :source_lead_id
