"""Lead-to-lead merges: the lead_moves table (records a run moved from an absorbed lead to the
older lead a record of the day linked it to).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same DDL as sql/schema/14_lead_moves.sql holds today.
    op.execute("""
        CREATE TABLE IF NOT EXISTS lead_moves (
            run_date        DATE NOT NULL,
            source_system   TEXT NOT NULL,
            source_lead_id  TEXT NOT NULL,
            from_lead_id    TEXT NOT NULL,
            to_lead_id      TEXT NOT NULL,
            PRIMARY KEY (source_lead_id, source_system, run_date)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS lead_moves_run_date ON lead_moves (run_date)")
    op.execute("CREATE INDEX IF NOT EXISTS lead_moves_from ON lead_moves (from_lead_id)")


def downgrade() -> None:
    op.drop_table("lead_moves")
