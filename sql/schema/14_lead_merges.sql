-- Each link identity resolution made: a source record merged into a lead, and why.
CREATE TABLE IF NOT EXISTS lead_merges (
    run_date                DATE NOT NULL,
    lead_id                 TEXT NOT NULL,      -- the lead the record joined
    source_system           TEXT NOT NULL,      -- the record merged in
    source_lead_id          TEXT NOT NULL,
    matched_source_system   TEXT,               -- the record of the day it matched, or
    matched_source_lead_id  TEXT,
    matched_lead_id         TEXT,               -- the existing lead it matched
    rule                    TEXT NOT NULL,      -- email | phone | fuzzy
    score                   DOUBLE PRECISION NOT NULL,  -- summed evidence (config/dedupe.yaml)
    keys                    TEXT NOT NULL,      -- blocking keys the pair shared, ";"-joined
    evidence                TEXT NOT NULL       -- JSON: evidence weight per comparison
);
CREATE INDEX IF NOT EXISTS lead_merges_lead ON lead_merges (lead_id);
CREATE INDEX IF NOT EXISTS lead_merges_record ON lead_merges (source_lead_id, source_system);
CREATE INDEX IF NOT EXISTS lead_merges_run_date ON lead_merges (run_date);
