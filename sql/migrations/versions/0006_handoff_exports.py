"""Hand-off exports: handoff_exports, one row per export of a run date's hand-offs (`mql export` or
the night's own): where the file went (without credentials), format, rows, checksum, when.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same DDL as sql/schema/27_handoff_exports.sql holds today.
    op.execute("""
        CREATE TABLE IF NOT EXISTS handoff_exports (
            export_id       TEXT PRIMARY KEY,
            run_date        DATE NOT NULL,
            location        TEXT NOT NULL,
            file_format     TEXT NOT NULL,
            row_count       BIGINT NOT NULL,
            checksum        TEXT NOT NULL,
            exported_at     TIMESTAMP WITH TIME ZONE NOT NULL,
            exported_by     TEXT NOT NULL
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS handoff_exports_run_date ON handoff_exports (run_date)")


def downgrade() -> None:
    op.drop_table("handoff_exports")
