-- Lead-to-lead merges: the source records a run moved from an existing lead to an older one, when
-- a record of that day was linked to both (the bridging links are in lead_merges, with
-- matched_lead_id the absorbed lead). Re-running the date or an earlier one moves them back.
CREATE TABLE IF NOT EXISTS lead_moves (
    run_date        DATE NOT NULL,
    source_system   TEXT NOT NULL,
    source_lead_id  TEXT NOT NULL,
    from_lead_id    TEXT NOT NULL,      -- the absorbed lead
    to_lead_id      TEXT NOT NULL,      -- the lead that absorbed it (the older)
    PRIMARY KEY (source_lead_id, source_system, run_date)
);
CREATE INDEX IF NOT EXISTS lead_moves_run_date ON lead_moves (run_date);
CREATE INDEX IF NOT EXISTS lead_moves_from ON lead_moves (from_lead_id);
