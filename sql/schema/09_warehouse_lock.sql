-- Who holds the warehouse's run lock. On SQLite the lock itself is a file lock beside the
-- database; on PostgreSQL a session advisory lock together with this row's lease, renewed by the
-- holder while it runs, so that a run whose database session died cannot be joined by another
-- while it still works. Every write transaction of a run checks that the row still carries its
-- token (tasks/warehouse/locks.py), so a run that lost the lock can never commit.
CREATE TABLE IF NOT EXISTS warehouse_lock (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMP WITH TIME ZONE NOT NULL,
    token       TEXT,                       -- <host>/<pid>/<random>, unique to the holding run
    renewed_at  TIMESTAMP WITH TIME ZONE    -- the lease: the holder renews it while it runs
);
