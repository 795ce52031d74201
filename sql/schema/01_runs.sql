-- One row per run attempt; a failed run keeps its row with the error, and its data rolls back.
CREATE TABLE IF NOT EXISTS runs (
    run_id          TEXT PRIMARY KEY,
    run_date        DATE NOT NULL,
    status          TEXT NOT NULL,          -- running | succeeded | failed | superseded | crashed | rolled_back
    parameters      TEXT NOT NULL,          -- JSON of the run's options (no secrets)
    started_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at        TIMESTAMP WITH TIME ZONE,
    code_version    TEXT NOT NULL,
    model_version   TEXT,
    error           TEXT,
    data_docs_path  TEXT,                   -- the run's Great Expectations Data Docs site
    report_path     TEXT                    -- the run's HTML report
);
CREATE INDEX IF NOT EXISTS runs_run_date ON runs (run_date, status);
