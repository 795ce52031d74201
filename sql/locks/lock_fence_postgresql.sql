-- The token the lock row holds now, read inside a run's write transaction and locked until it
-- commits: no other run can take the lock over between this check and the commit.
SELECT token FROM warehouse_lock WHERE name = :name FOR UPDATE
