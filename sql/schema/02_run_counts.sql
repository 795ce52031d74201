-- Rows in and out of every stage of a run; the conservation check reads these.
CREATE TABLE IF NOT EXISTS run_counts (
    run_id      TEXT NOT NULL,
    run_date    DATE NOT NULL,
    stage       TEXT NOT NULL,
    metric      TEXT NOT NULL,
    value       BIGINT NOT NULL,
    PRIMARY KEY (run_id, stage, metric)
);
