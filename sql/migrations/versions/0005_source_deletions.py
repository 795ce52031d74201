"""Deleted source records: source_record_states (each record's loader-deleted state, by run date)
and lead_retirements (leads retired because every source record of theirs was deleted, and
restored when one came back).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same DDL as sql/schema/25_source_record_states.sql and 26_lead_retirements.sql hold today.
    op.execute("""
        CREATE TABLE IF NOT EXISTS source_record_states (
            run_date        DATE NOT NULL,
            source_system   TEXT NOT NULL,
            source_lead_id  TEXT NOT NULL,
            deleted         BOOLEAN NOT NULL,
            source_table    TEXT,
            flag            TEXT,
            PRIMARY KEY (source_lead_id, source_system, run_date)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS source_record_states_run_date ON source_record_states (run_date)")
    op.execute("""
        CREATE TABLE IF NOT EXISTS lead_retirements (
            run_date        DATE NOT NULL,
            lead_id         TEXT NOT NULL,
            action          TEXT NOT NULL,
            source_system   TEXT NOT NULL,
            source_lead_id  TEXT NOT NULL,
            source_table    TEXT,
            flag            TEXT,
            PRIMARY KEY (lead_id, run_date, source_system, source_lead_id)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS lead_retirements_run_date ON lead_retirements (run_date)")


def downgrade() -> None:
    op.drop_table("lead_retirements")
    op.drop_table("source_record_states")
