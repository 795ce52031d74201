-- Who holds the warehouse's run lock, so that a waiting run can say whom it waits for. The lock
-- itself is a PostgreSQL advisory lock or a file lock beside the SQLite file (tasks/run_safety.py).
CREATE TABLE IF NOT EXISTS warehouse_lock (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMP WITH TIME ZONE NOT NULL
);
