"""Alembic environment of the warehouse: tasks/warehouse/migrations.py hands over an open connection in a
transaction it owns (the whole upgrade commits or rolls back as one), so nothing here connects."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    # On PostgreSQL the version table sits beside the tables, in the configured schema.
    version_table_schema=context.config.attributes.get("schema"),
    # SQLite alters most things by copying the table: batch mode does that for op.alter_column etc.
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
