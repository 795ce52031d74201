"""The source system's own lifecycle flags (outcome status `mql`): the source_lifecycle table,
compared with this product's MQLs by the funnel views.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same DDL as sql/schema/32_source_lifecycle.sql holds today.
    op.execute("""
        CREATE TABLE IF NOT EXISTS source_lifecycle (
            run_date        DATE NOT NULL,
            row_number      BIGINT NOT NULL,
            source_system   TEXT NOT NULL,
            source_lead_id  TEXT NOT NULL,
            lead_id         TEXT,
            occurred_at     TIMESTAMP WITH TIME ZONE NOT NULL,
            status          TEXT NOT NULL,
            reason          TEXT,
            PRIMARY KEY (run_date, row_number)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS source_lifecycle_lead ON source_lifecycle (lead_id)")
    # The funnel views read it: every upgrade re-creates the views from sql/views
    # (tasks/warehouse/migrations.py), so no revision writes one.


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS funnel_metrics")
    op.execute("DROP VIEW IF EXISTS lead_funnel_facts")
    op.execute("DROP VIEW IF EXISTS lead_journeys")
    op.drop_table("source_lifecycle")
