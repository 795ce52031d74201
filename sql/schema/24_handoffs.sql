-- Each run date's hand-offs: the leads that became MQLs that day and those whose lifecycle stage
-- moved, with their scores, grade, nurture segment and the top reasons of their score in words
-- (from lead_scores.contributions). `mql export` writes a date's rows (with the view lead_handoffs) out.
CREATE TABLE IF NOT EXISTS handoffs (
    run_date            DATE NOT NULL,
    lead_id             TEXT NOT NULL,
    from_stage          TEXT,
    to_stage            TEXT NOT NULL,
    new_mql             BOOLEAN NOT NULL,   -- the lead entered MQL on this date
    changed_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    cause               TEXT NOT NULL,      -- as mql_events.cause: new | score | outcome:<status>
    fit_score           DOUBLE PRECISION NOT NULL,
    engagement_score    DOUBLE PRECISION NOT NULL,
    total_score         DOUBLE PRECISION NOT NULL,
    grade               TEXT NOT NULL,
    segment             TEXT,               -- the open nurture segment after the date, if any
    reasons             TEXT NOT NULL,      -- the top contributions, in words, largest first
    model_version       TEXT NOT NULL,
    matrix_cell         TEXT,               -- fit grade and engagement level (A1 ... D4), if the model has levels
    PRIMARY KEY (lead_id, run_date)
);
CREATE INDEX IF NOT EXISTS handoffs_run_date ON handoffs (run_date);
