-- The warehouse's hash keys: the current one's fingerprint, and the retired ones, wrapped.
SELECT fingerprint, status, wrapped_key FROM hash_keys ORDER BY since, fingerprint
