-- Normalised match keys of every golden lead, indexed so a day's records are matched
-- against the whole lead base without scanning it.
CREATE TABLE IF NOT EXISTS lead_match_keys (
    key_type    TEXT NOT NULL,              -- email | phone | name_company | name_domain | name_city (config/dedupe.yaml)
    key_value   TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    run_date    DATE NOT NULL,
    PRIMARY KEY (key_type, key_value, lead_id)
);
CREATE INDEX IF NOT EXISTS lead_match_keys_run_date ON lead_match_keys (run_date);
