-- Records `mql unmerge` keeps apart: the record and every other record of the lead it was
-- split from never share a lead again. Not undone by re-running dates.
CREATE TABLE IF NOT EXISTS lead_splits (
    source_system           TEXT NOT NULL,
    source_lead_id          TEXT NOT NULL,
    other_source_system     TEXT NOT NULL,
    other_source_lead_id    TEXT NOT NULL,
    lead_id                 TEXT NOT NULL,      -- the lead they shared when split
    split_at                TIMESTAMP WITH TIME ZONE NOT NULL,
    requested_by            TEXT NOT NULL,
    reason                  TEXT NOT NULL,
    PRIMARY KEY (source_lead_id, source_system, other_source_lead_id, other_source_system)
);
CREATE INDEX IF NOT EXISTS lead_splits_other ON lead_splits (other_source_lead_id);
