-- The token the lock row holds now, read inside a run's write transaction (the fence).
SELECT token FROM warehouse_lock WHERE name = :name
