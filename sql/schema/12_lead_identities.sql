-- Which golden lead each source record belongs to.
CREATE TABLE IF NOT EXISTS lead_identities (
    source_system   TEXT NOT NULL,
    source_lead_id  TEXT NOT NULL,
    lead_id         TEXT NOT NULL,
    run_date        DATE NOT NULL,          -- the run date the identity was first seen
    match_rule      TEXT NOT NULL,          -- new | source_id | email | phone | fuzzy (see lead_merges)
    -- What the record is matched on (tasks/identity/assignment.py, match_fields): later records are compared
    -- with every record of a lead, not only with its latest profile.
    first_key       TEXT,
    last_key        TEXT,
    company_key     TEXT,
    city_key        TEXT,
    country_key     TEXT,
    match_email     TEXT,
    corporate_domain TEXT,
    phone_e164      TEXT,
    -- The columns config/dedupe.yaml declares under match_columns (a date of birth, a street ...),
    -- normalised: a JSON object of name -> value, NULL when the record has none (tasks/identity/declared.py).
    match_extra     TEXT,
    PRIMARY KEY (source_lead_id, source_system)
);
-- In lead order, records in order within a lead: the day's candidates are read lead by lead.
CREATE INDEX IF NOT EXISTS lead_identities_lead ON lead_identities (lead_id, source_system, source_lead_id);
CREATE INDEX IF NOT EXISTS lead_identities_run_date ON lead_identities (run_date);
