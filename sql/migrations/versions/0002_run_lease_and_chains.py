"""The run lock's lease and fence token (warehouse_lock.token, renewed_at); re-run chains (run_chains).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written out: the type must read as in sql/schema on both databases.
    op.execute("ALTER TABLE warehouse_lock ADD COLUMN token TEXT")
    op.execute("ALTER TABLE warehouse_lock ADD COLUMN renewed_at TIMESTAMP WITH TIME ZONE")
    # The same DDL as sql/schema/08_run_chains.sql holds at this revision.
    op.execute("""
        CREATE TABLE IF NOT EXISTS run_chains (
            chain_id        TEXT PRIMARY KEY,
            from_date       DATE NOT NULL,
            through_date    DATE NOT NULL,
            status          TEXT NOT NULL,
            started_at      TIMESTAMP WITH TIME ZONE NOT NULL,
            started_by      TEXT NOT NULL,
            ended_at        TIMESTAMP WITH TIME ZONE,
            error           TEXT
        )""")


def downgrade() -> None:
    op.drop_table("run_chains")
    op.drop_column("warehouse_lock", "renewed_at")
    op.drop_column("warehouse_lock", "token")
