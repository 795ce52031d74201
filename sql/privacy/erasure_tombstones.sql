-- Every erasure tombstone, with the hash key it was made under (screening drops matching rows).
SELECT kind, tombstone, key_fingerprint FROM erasure_ledger
