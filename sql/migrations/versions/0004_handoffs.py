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
    # The lead_handoffs view: every upgrade re-creates the views from sql/views
    # (tasks/warehouse/migrations.py), so no revision writes one.


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS lead_handoffs")
    op.drop_table("handoffs")
