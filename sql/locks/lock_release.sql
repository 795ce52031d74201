-- The holder gives the lock up (only its own row).
DELETE FROM warehouse_lock WHERE name = :name AND token = :token
