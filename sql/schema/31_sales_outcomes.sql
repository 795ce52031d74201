-- Sales feedback as loaded, attributed to leads.
CREATE TABLE IF NOT EXISTS sales_outcomes (
    run_date        DATE NOT NULL,
    row_number      BIGINT NOT NULL,
    source_system   TEXT NOT NULL,
    source_lead_id  TEXT NOT NULL,
    lead_id         TEXT,
    occurred_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    PRIMARY KEY (run_date, row_number)
);
CREATE INDEX IF NOT EXISTS sales_outcomes_lead ON sales_outcomes (lead_id);
