INSERT INTO erasure_ledger (erasure_id, kind, tombstone, key_fingerprint, erased_by, erased_at, reason)
VALUES (:erasure_id, :kind, :tombstone, :key_fingerprint, :erased_by, :erased_at, :reason)
