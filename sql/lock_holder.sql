SELECT holder, acquired_at FROM warehouse_lock WHERE name = :name
