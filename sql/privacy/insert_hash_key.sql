INSERT INTO hash_keys (fingerprint, status, wrapped_key, since) VALUES (:fingerprint, :status, :wrapped_key, :since)
