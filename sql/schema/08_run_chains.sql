-- Re-runs of loaded dates. Running date D re-runs every loaded date after it, each in its own
-- transaction; the rows those dates held are kept in saved_* tables (sql/chain_save.sql) until
-- the last of them is re-run, so that a failure or a crash anywhere in the chain puts every
-- date back as it was (sql/chain_restore.sql). At most one chain is open at a time.
CREATE TABLE IF NOT EXISTS run_chains (
    chain_id        TEXT PRIMARY KEY,
    from_date       DATE NOT NULL,          -- the first date re-run
    through_date    DATE NOT NULL,          -- the last loaded date the chain replaces
    status          TEXT NOT NULL,          -- open | committed | rolled_back
    started_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    started_by      TEXT NOT NULL,
    ended_at        TIMESTAMP WITH TIME ZONE,
    error           TEXT                    -- why it was rolled back
);
