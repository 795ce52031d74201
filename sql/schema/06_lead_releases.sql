-- Rejected leads a reviewer let through (`mql release`): who, when and why. A release is an
-- operator's decision, not a run's result, so re-running a date never removes it. Every run
-- from the rejection's date on exempts the source record from the fraud rules; the first run
-- after that date loads the stored row if the source has not sent the record again.
CREATE TABLE IF NOT EXISTS lead_releases (
    source_system      TEXT NOT NULL,
    source_lead_id     TEXT NOT NULL,
    rejected_run_date  DATE NOT NULL,       -- the run date that rejected it
    reasons            TEXT NOT NULL,       -- the reason codes the release overrides
    raw                TEXT NOT NULL,       -- the rejected row as it arrived, JSON
    released_by        TEXT NOT NULL,
    released_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    note               TEXT NOT NULL,       -- why
    PRIMARY KEY (source_system, source_lead_id)
);
CREATE INDEX IF NOT EXISTS lead_releases_lead ON lead_releases (source_lead_id);
