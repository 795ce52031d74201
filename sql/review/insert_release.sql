INSERT INTO lead_releases (source_system, source_lead_id, rejected_run_date, reasons, raw, released_by,
                           released_at, note)
VALUES (:source_system, :source_lead_id, :rejected_run_date, :reasons, :raw, :released_by, :released_at, :note)
