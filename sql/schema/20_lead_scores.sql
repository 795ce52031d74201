-- One row per lead per run date on which the lead was scored.
CREATE TABLE IF NOT EXISTS lead_scores (
    run_date            DATE NOT NULL,
    lead_id             TEXT NOT NULL,
    fit_score           DOUBLE PRECISION NOT NULL,
    engagement_score    DOUBLE PRECISION NOT NULL,
    total_score         DOUBLE PRECISION NOT NULL,
    grade               TEXT NOT NULL,
    model_version       TEXT NOT NULL,
    matrix_cell         TEXT,               -- fit grade and engagement level (A1 ... D4), if the model has levels
    -- Every point of the score, one JSON list per lead and run date: [kind, rule, raw_points,
    -- decay_factor, decayed_value, points] per rule (kind fit | engagement | cap; raw points earned
    -- on the date after the daily cap; the decay applied to the value carried from the previous
    -- scoring; carried * decay + raw; what the score counts after the rule's cap). The points sum to
    -- total_score; engagement entries hold the decayed state the next run continues from.
    contributions       TEXT,
    PRIMARY KEY (lead_id, run_date)
);
CREATE INDEX IF NOT EXISTS lead_scores_run_date ON lead_scores (run_date);
