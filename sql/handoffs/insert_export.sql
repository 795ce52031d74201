-- Record one export of a run date's hand-offs (handoff_exports).
INSERT INTO handoff_exports (export_id, run_date, location, file_format, row_count, checksum, exported_at,
                             exported_by)
VALUES (:export_id, :run_date, :location, :file_format, :row_count, :checksum, :exported_at, :exported_by)
