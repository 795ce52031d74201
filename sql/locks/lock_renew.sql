-- The holder renews its lease; no row updated means the lock was taken over.
UPDATE warehouse_lock SET renewed_at = CURRENT_TIMESTAMP WHERE name = :name AND token = :token
