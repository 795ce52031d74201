-- The recorded holder of the warehouse's run lock, its token and its lease's age in the database's clock.
SELECT holder, acquired_at, token, renewed_at, CURRENT_TIMESTAMP AS now FROM warehouse_lock WHERE name = :name
