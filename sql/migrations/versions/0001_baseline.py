"""Baseline: the schema of the last release before migrations (sql/schema as of 85b955b).

A warehouse made by that release has every table already: it is stamped at this revision when
first found (tasks/warehouse/migrations.py) and never runs this upgrade. A new warehouse is made from
sql/schema and stamped at the head revision.

Revision ID: 0001
Revises:
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
