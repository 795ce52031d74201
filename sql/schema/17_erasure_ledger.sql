-- Erasures on request (`mql erase`): who, when and why, and keyed-hash tombstones of what the
-- person was known by (normalised email addresses, E.164 phone numbers, source records), so that
-- every later run and every re-run drops their rows. Holds no personal data in clear.
CREATE TABLE IF NOT EXISTS erasure_ledger (
    erasure_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- email | phone | source_record
    tombstone       BIGINT NOT NULL,        -- keyed 64-bit hash of the value (tasks/privacy/erasure.py)
    key_fingerprint TEXT NOT NULL,          -- the hash key it was made under (hash_keys)
    erased_by       TEXT NOT NULL,
    erased_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    reason          TEXT NOT NULL,
    PRIMARY KEY (erasure_id, kind, tombstone)
);
