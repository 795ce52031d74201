"""Declared match columns: lead_identities.match_extra holds each source record's values of the
columns config/dedupe.yaml declares under match_columns (JSON), so later records compare with them.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same column as sql/schema/12_lead_identities.sql holds today (last, as runs' chains copy rows whole).
    op.execute("ALTER TABLE lead_identities ADD COLUMN match_extra TEXT")


def downgrade() -> None:
    op.drop_column("lead_identities", "match_extra")
