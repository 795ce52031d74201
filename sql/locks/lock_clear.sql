DELETE FROM warehouse_lock WHERE name = :name
