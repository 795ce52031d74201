"""The funnel views read each lead's journey once: lead_journeys joins its milestones by lead
through one grouped step (SQLite scanned them once per lead), and funnel_metrics builds the
journeys once for all its dimensions (sql/views/9x_*.sql). No table changes.

Revision ID: 0013
Revises: 0012
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every upgrade re-creates the views from sql/views (tasks/warehouse/migrations.py): this
    # revision only brings existing warehouses to them.
    pass


def downgrade() -> None:
    pass
