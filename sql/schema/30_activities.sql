-- Activities as loaded, with the lead they were attributed to and the bot flag.
CREATE TABLE IF NOT EXISTS activities (
    run_date        DATE NOT NULL,
    source_system   TEXT NOT NULL,
    activity_id     TEXT NOT NULL,
    source_lead_id  TEXT NOT NULL,
    lead_id         TEXT,                   -- null: no known lead (orphan)
    occurred_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    activity_type   TEXT NOT NULL,
    asset           TEXT,
    campaign        TEXT,
    bot_reason      TEXT,
    value           DOUBLE PRECISION,       -- the activity's measure (e.g. seconds on site), if the extract gives one
    PRIMARY KEY (run_date, source_system, activity_id)
);
-- Looked up by lead: 30_activities_lead.<database>.sql.
