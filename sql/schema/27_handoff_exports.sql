-- Every export of a run date's hand-offs (`mql export`, or the night's own with MQL_EXPORT_TO): where
-- the file went, shown without credentials (no user, password or query), its format, rows and
-- SHA-256, and when. A re-export rewrites the date's one file and is recorded again; re-running a
-- date leaves this table as it is (a file once written stays written).
CREATE TABLE IF NOT EXISTS handoff_exports (
    export_id       TEXT PRIMARY KEY,
    run_date        DATE NOT NULL,
    location        TEXT NOT NULL,          -- the file, as shown: s3://bucket/path/handoffs_<date>.parquet
    file_format     TEXT NOT NULL,          -- parquet | csv
    row_count       BIGINT NOT NULL,
    checksum        TEXT NOT NULL,          -- sha256:<hex> of the file's bytes
    exported_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    exported_by     TEXT NOT NULL           -- mql export | nightly
);
CREATE INDEX IF NOT EXISTS handoff_exports_run_date ON handoff_exports (run_date);
