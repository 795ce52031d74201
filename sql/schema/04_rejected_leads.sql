-- Lead rows that were not written: rejected as junk (reason codes) or quarantined by validation.
CREATE TABLE IF NOT EXISTS rejected_leads (
    run_date        DATE NOT NULL,
    row_number      BIGINT NOT NULL,        -- 0-based row of the leads file
    disposition     TEXT NOT NULL,          -- rejected | quarantined
    source_system   TEXT,
    source_lead_id  TEXT,
    reasons         TEXT NOT NULL,
    raw             TEXT NOT NULL,          -- the row as it arrived, JSON
    PRIMARY KEY (run_date, row_number)
);
