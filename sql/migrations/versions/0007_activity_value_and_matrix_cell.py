"""The activities' optional measure (activities.value) and the fit × engagement matrix cell
(lead_scores.matrix_cell, handoffs.matrix_cell, shown by the lead_handoffs view).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same column types as sql/schema/30_activities.sql, 20_lead_scores.sql and 24_handoffs.sql hold today.
    op.execute("ALTER TABLE activities ADD COLUMN value DOUBLE PRECISION")
    op.execute("ALTER TABLE lead_scores ADD COLUMN matrix_cell TEXT")
    op.execute("ALTER TABLE handoffs ADD COLUMN matrix_cell TEXT")
    # The lead_handoffs view: every upgrade re-creates the views from sql/views.


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS lead_handoffs")
    op.drop_column("handoffs", "matrix_cell")
    op.drop_column("lead_scores", "matrix_cell")
    op.drop_column("activities", "value")
