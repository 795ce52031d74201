-- Who holds the warehouse's run lock (informational: the lock itself is not this row).
INSERT INTO warehouse_lock (name, holder, acquired_at) VALUES (:name, :holder, :acquired_at)
