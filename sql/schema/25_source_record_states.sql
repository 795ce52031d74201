-- The loader's deleted state of each source record, on the run dates it changed: a row the loader
-- flagged deleted (`_fivetran_deleted`, `is_deleted`: deleted = true), or a record flagged before
-- that came back live (deleted = false). A record without a row here is live. Re-running a date
-- replaces its rows, so a record's state on a date is its latest row up to that date.
CREATE TABLE IF NOT EXISTS source_record_states (
    run_date        DATE NOT NULL,
    source_system   TEXT NOT NULL,
    source_lead_id  TEXT NOT NULL,
    deleted         BOOLEAN NOT NULL,
    source_table    TEXT,                   -- the staging table the deleted row came from
    flag            TEXT,                   -- the loader's flag that said so (`_fivetran_deleted`)
    PRIMARY KEY (source_lead_id, source_system, run_date)
);
CREATE INDEX IF NOT EXISTS source_record_states_run_date ON source_record_states (run_date);
