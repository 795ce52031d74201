-- Every lifecycle transition, with when and why.
CREATE TABLE IF NOT EXISTS mql_events (
    run_date        DATE NOT NULL,
    lead_id         TEXT NOT NULL,
    seq             INTEGER NOT NULL,       -- order of the lead's transitions within the run date
    from_stage      TEXT,
    to_stage        TEXT NOT NULL,
    occurred_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    cause           TEXT NOT NULL,          -- score | outcome:<status> | new
    detail          TEXT,
    PRIMARY KEY (lead_id, run_date, seq)
);
CREATE INDEX IF NOT EXISTS mql_events_run_date ON mql_events (run_date);
