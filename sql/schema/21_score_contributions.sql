-- Every point of every score: one row per lead, rule and run date. Engagement rows also hold
-- the decayed state the next run continues from.
CREATE TABLE IF NOT EXISTS score_contributions (
    run_date        DATE NOT NULL,
    lead_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- fit | engagement | cap
    rule            TEXT NOT NULL,
    raw_points      DOUBLE PRECISION NOT NULL,  -- points earned on this run date (after the daily cap)
    decay_factor    DOUBLE PRECISION NOT NULL,  -- applied to the state carried from the previous scoring
    decayed_value   DOUBLE PRECISION NOT NULL,  -- carried state * decay_factor + raw_points
    points          DOUBLE PRECISION NOT NULL,  -- what the score counts, after the rule's cap
    PRIMARY KEY (lead_id, run_date, rule)
);
CREATE INDEX IF NOT EXISTS score_contributions_run_date ON score_contributions (run_date);
