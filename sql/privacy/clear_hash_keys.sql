DELETE FROM hash_keys
