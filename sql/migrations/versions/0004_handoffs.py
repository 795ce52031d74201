"""Hand-offs: the handoffs table (each run date's new MQLs and stage moves, with their reasons) and
the lead_handoffs view.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same DDL as sql/schema/24_handoffs.sql holds today.
    op.execute("""
        CREATE TABLE IF NOT EXISTS handoffs (
            run_date            DATE NOT NULL,
            lead_id             TEXT NOT NULL,
            from_stage          TEXT,
            to_stage            TEXT NOT NULL,
            new_mql             BOOLEAN NOT NULL,
            changed_at          TIMESTAMP WITH TIME ZONE NOT NULL,
            cause               TEXT NOT NULL,
            fit_score           DOUBLE PRECISION NOT NULL,
            engagement_score    DOUBLE PRECISION NOT NULL,
            total_score         DOUBLE PRECISION NOT NULL,
            grade               TEXT NOT NULL,
            segment             TEXT,
            reasons             TEXT NOT NULL,
            model_version       TEXT NOT NULL,
            PRIMARY KEY (lead_id, run_date)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS handoffs_run_date ON handoffs (run_date)")
    # The same view as sql/views/92_lead_handoffs.sql holds today (runs re-create the views; an
    # upgrade alone must leave the warehouse as a new one).
    op.execute("DROP VIEW IF EXISTS lead_handoffs")
    op.execute("""
CREATE VIEW lead_handoffs AS
SELECT h.run_date, h.lead_id,
       (SELECT i.source_system FROM lead_identities AS i WHERE i.lead_id = h.lead_id
        ORDER BY i.run_date, i.source_system, i.source_lead_id LIMIT 1) AS source_system,
       (SELECT i.source_lead_id FROM lead_identities AS i WHERE i.lead_id = h.lead_id
        ORDER BY i.run_date, i.source_system, i.source_lead_id LIMIT 1) AS source_lead_id,
       l.email, l.first_name, l.last_name, l.company, l.job_title, l.country,
       h.from_stage, h.to_stage, h.new_mql, h.changed_at, h.cause,
       h.fit_score, h.engagement_score, h.total_score, h.grade, h.segment, h.reasons, h.model_version
FROM handoffs AS h
LEFT JOIN leads AS l ON l.lead_id = h.lead_id""")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS lead_handoffs")
    op.drop_table("handoffs")
