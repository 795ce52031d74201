"""The funnel views count the lifecycle events of a lead absorbed by a lead-to-lead merge for the
lead that absorbed it (lead_journeys, sql/views/90_lead_journeys.sql). No table changes.

Revision ID: 0012
Revises: 0011
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every upgrade re-creates the views from sql/views (tasks/warehouse/migrations.py): this
    # revision only brings existing warehouses to them.
    pass


def downgrade() -> None:
    pass
