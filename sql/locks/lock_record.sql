-- Who holds the warehouse's run lock, with the holder's token and lease.
INSERT INTO warehouse_lock (name, holder, acquired_at, token, renewed_at)
VALUES (:name, :holder, :acquired_at, :token, CURRENT_TIMESTAMP)
