-- Leads retired because none of their source records is live any more (every one deleted by its
-- loader), and restored when one comes back: one row per source record that did it, on the run
-- date it happened. A retired lead is not scored, qualified or enrolled (its open nurture
-- enrollments exit with `source_deleted`) until it is restored.
CREATE TABLE IF NOT EXISTS lead_retirements (
    run_date        DATE NOT NULL,
    lead_id         TEXT NOT NULL,
    action          TEXT NOT NULL,          -- retired | restored
    source_system   TEXT NOT NULL,
    source_lead_id  TEXT NOT NULL,          -- the record deleted (retired) or live again (restored)
    source_table    TEXT,                   -- retired: the staging table of the deleted row
    flag            TEXT,                   -- retired: the loader's flag (`_fivetran_deleted`)
    PRIMARY KEY (lead_id, run_date, source_system, source_lead_id)
);
CREATE INDEX IF NOT EXISTS lead_retirements_run_date ON lead_retirements (run_date);
