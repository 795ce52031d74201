"""On PostgreSQL, activities are looked up by lead through a hash index on lead_id in place of the
B-tree on (lead_id, occurred_at): every look-up is by equality, and a night's million activities
cost the hash index less than half the time to add (sql/schema/30_activities_lead.*.sql). SQLite,
which has no hash index, keeps its B-tree.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS activities_lead")
        op.execute("CREATE INDEX activities_lead ON activities USING hash (lead_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS activities_lead")
        op.execute("CREATE INDEX activities_lead ON activities (lead_id, occurred_at)")
