"""The lead columns have one source of truth: `leads` in sql/schema, which lead_history repeats
with its run date, and which the code writes (state.LEAD_TABLE_COLUMNS)."""

from __future__ import annotations

import sqlalchemy as sa

from tasks.warehouse.connection import ddl_statements
from tasks.warehouse.state import LEAD_TABLE_COLUMNS


def test_lead_history_repeats_the_lead_columns_and_the_code_writes_them():
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        for statement in ddl_statements("sqlite"):
            conn.exec_driver_sql(statement)
        inspector = sa.inspect(conn)
        leads = [(c["name"], str(c["type"])) for c in inspector.get_columns("leads")]
        history = [(c["name"], str(c["type"])) for c in inspector.get_columns("lead_history")]
    assert [c for c in history if c[0] != "run_date"] == leads
    assert tuple(name for name, _ in leads) == LEAD_TABLE_COLUMNS
