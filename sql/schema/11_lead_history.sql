-- The leads row of every run date on which a lead changed; re-running a date restores
-- `leads` from here (point-in-time state of the day before).
CREATE TABLE IF NOT EXISTS lead_history (
    run_date            DATE NOT NULL,
    lead_id             TEXT NOT NULL,
    email               TEXT,
    email_key           TEXT,
    first_name          TEXT,
    last_name           TEXT,
    phone               TEXT,
    phone_e164          TEXT,
    company             TEXT,
    job_title           TEXT,
    seniority           TEXT,
    department          TEXT,
    industry            TEXT,
    employee_count      BIGINT,
    annual_revenue      DOUBLE PRECISION,
    country             TEXT,
    region              TEXT,
    city                TEXT,
    lead_source         TEXT,
    campaign            TEXT,
    utm_source          TEXT,
    utm_medium          TEXT,
    utm_campaign        TEXT,
    email_consent       BOOLEAN NOT NULL,
    do_not_contact      BOOLEAN NOT NULL,
    custom_attributes   TEXT NOT NULL,      -- JSON of extra extract columns
    provenance          TEXT NOT NULL,      -- JSON: the source system each profile value came from
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    fit_score           DOUBLE PRECISION NOT NULL,
    engagement_score    DOUBLE PRECISION NOT NULL,
    total_score         DOUBLE PRECISION NOT NULL,
    grade               TEXT NOT NULL,
    lifecycle_stage     TEXT NOT NULL,
    stage_changed_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    first_mql_at        TIMESTAMP WITH TIME ZONE,
    last_mql_at         TIMESTAMP WITH TIME ZONE,
    model_version       TEXT NOT NULL,
    interests           TEXT NOT NULL,      -- JSON list of topics from the content the lead consumed
    review_on           DATE,               -- when decay alone may move the lead across an MQL threshold
    first_run_date      DATE NOT NULL,
    last_run_date       DATE NOT NULL,      -- the run date this row was last computed on
    PRIMARY KEY (lead_id, run_date)
);
CREATE INDEX IF NOT EXISTS lead_history_run_date ON lead_history (run_date);
CREATE INDEX IF NOT EXISTS lead_history_review_on ON lead_history (review_on);
