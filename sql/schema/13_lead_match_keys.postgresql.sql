-- Match keys of every golden lead (tasks/identity/matching.py, key_hashes: a 64-bit hash of the key type
-- and its normalised values, so no email or phone is stored here in clear), indexed so a day's
-- records are matched against the whole lead base without scanning it. The run date rides in
-- the key's index, so a look-up reads that index alone.
CREATE TABLE IF NOT EXISTS lead_match_keys (
    key_hash    BIGINT NOT NULL,
    lead_id     TEXT NOT NULL,
    run_date    DATE NOT NULL,
    PRIMARY KEY (key_hash, lead_id) INCLUDE (run_date)
);
CREATE INDEX IF NOT EXISTS lead_match_keys_run_date ON lead_match_keys (run_date);
