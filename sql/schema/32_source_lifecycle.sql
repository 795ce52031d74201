-- Lifecycle statuses the source system set itself (the CRM's own MQL flag: outcome status `mql`),
-- as loaded, attributed to leads. Kept apart from sales_outcomes: they move no lead's lifecycle
-- stage and no fitted model predicts them; the funnel views compare them with this product's MQLs.
CREATE TABLE IF NOT EXISTS source_lifecycle (
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
CREATE INDEX IF NOT EXISTS source_lifecycle_lead ON source_lifecycle (lead_id);
