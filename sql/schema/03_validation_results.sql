-- One row per expectation evaluated in a run.
CREATE TABLE IF NOT EXISTS validation_results (
    run_id            TEXT NOT NULL,
    run_date          DATE NOT NULL,
    suite             TEXT NOT NULL,
    expectation       TEXT NOT NULL,
    column_name       TEXT,
    severity          TEXT NOT NULL,
    success           BOOLEAN NOT NULL,
    unexpected_count  BIGINT,
    element_count     BIGINT,
    observed          TEXT
);
CREATE INDEX IF NOT EXISTS validation_results_run ON validation_results (run_id);
