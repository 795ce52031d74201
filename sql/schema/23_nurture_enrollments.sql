-- Nurture segment memberships; an open enrollment has no exited_at.
CREATE TABLE IF NOT EXISTS nurture_enrollments (
    lead_id             TEXT NOT NULL,
    segment             TEXT NOT NULL,
    entered_run_date    DATE NOT NULL,
    entered_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    exited_run_date     DATE,
    exited_at           TIMESTAMP WITH TIME ZONE,
    exit_reason         TEXT,
    PRIMARY KEY (lead_id, segment, entered_run_date)
);
CREATE INDEX IF NOT EXISTS nurture_enrollments_open ON nurture_enrollments (lead_id, exited_run_date);
