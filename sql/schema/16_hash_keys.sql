-- The keys that the hashes in lead_match_keys and erasure_ledger were made under, named by their
-- fingerprint (a keyed hash of a fixed text: it tells keys apart, it reveals none). The current
-- key is never stored: it comes from MQL_MATCH_KEY_SECRET (or the key file beside a SQLite
-- warehouse). A key `mql rekey` retired is kept only while erasure tombstones were made under it,
-- encrypted under the current key, so that erased people stay suppressed after a rotation.
CREATE TABLE IF NOT EXISTS hash_keys (
    fingerprint     TEXT PRIMARY KEY,
    status          TEXT NOT NULL,          -- current | retired
    wrapped_key     TEXT,                   -- retired keys: nonce and key, encrypted under the current key (hex)
    since           TIMESTAMP WITH TIME ZONE NOT NULL
);
