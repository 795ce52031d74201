-- The hash keys (fingerprints) that erasure tombstones were made under.
SELECT DISTINCT key_fingerprint FROM erasure_ledger
