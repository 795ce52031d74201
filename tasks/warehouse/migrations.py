"""Schema versions of the warehouse, kept by Alembic (sql/migrations).

sql/schema holds the complete current schema: a new warehouse is made from it and stamped at the
head revision. A warehouse with the tables but no version table was made by the release before
migrations (the baseline, revision 0001). Every later schema change is an edit of sql/schema plus
a revision in sql/migrations/versions; `mql upgrade` (or a run, with MQL_AUTO_UPGRADE) brings an
older warehouse to the head revision in one transaction, holding the run lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from tasks.errors import WarehouseError
from tasks.warehouse.connection import SQL_DIR, ddl_statements

MIGRATIONS_DIR = SQL_DIR / "migrations"
BASELINE = "0001"
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Revision:
    """Where a warehouse stands: its revision (None: empty) and whether alembic_version records it."""

    current: str | None
    stamped: bool


def _config(conn: Connection | None = None, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    config.attributes["schema"] = schema
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The revision this release's schema is at (one line of history: a second head is an error)."""
    return str(_scripts().get_current_head())


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


@cache
def schema_tables() -> frozenset[str]:
    """The tables sql/schema creates (on either database)."""
    text = " ".join(ddl_statements("sqlite")) + " " + " ".join(ddl_statements("postgresql"))
    return frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", text, flags=re.IGNORECASE))


def _schema_of(conn: Connection, schema: str) -> str | None:
    return schema if conn.dialect.name == "postgresql" else None


def warehouse_revision(conn: Connection, schema: str) -> Revision:
    """The warehouse's revision: None if it holds none of the tables, the baseline if it holds them
    but no version; refuses a warehouse older than the baseline (text match keys)."""
    inspector = sa.inspect(conn)
    where = _schema_of(conn, schema)
    tables = set(inspector.get_table_names(schema=where))
    if VERSION_TABLE in tables:
        current = MigrationContext.configure(conn, opts={"version_table_schema": where}).get_current_revision()
        if current is not None:
            return Revision(current, stamped=True)
    if not tables & schema_tables():
        return Revision(None, stamped=False)
    if "lead_match_keys" in tables and "key_hash" not in {
            c["name"] for c in inspector.get_columns("lead_match_keys", schema=where)}:
        raise WarehouseError(f"warehouse {_shown(conn)} was made by an older version: lead_match_keys holds "
                             "text keys, not key_hash; load it into a new warehouse")
    return Revision(BASELINE, stamped=False)


def _shown(conn: Connection | Engine) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


@contextmanager
def write_transaction(engine: Engine, schema: str) -> Iterator[Connection]:
    """One transaction that DDL is part of, taken for writing at once, so that two processes
    making or upgrading the same warehouse do it one after the other."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction unless it is left to us to begin one.
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
            return
        with conn.begin():
            if conn.dialect.name == "postgresql":
                key = int.from_bytes(hashlib.sha256(f"mql schema {schema}".encode()).digest()[:8], "big", signed=True)
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield conn


def create_if_empty(engine: Engine, schema: str) -> bool:
    """Make the tables of an empty warehouse from sql/schema and stamp it at head; False if it was not empty."""
    with write_transaction(engine, schema) as conn:
        if warehouse_revision(conn, schema).current is not None:
            return False  # another process made it meanwhile
        if conn.dialect.name == "postgresql":
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        for statement in ddl_statements(conn.dialect.name):
            conn.exec_driver_sql(statement)
        command.stamp(_config(conn, _schema_of(conn, schema)), "head")
    return True


def check_revision(engine: Engine, schema: str, upgrade_as: str | None, lock_wait_seconds: float) -> None:
    """Make an empty warehouse; accept one at head; upgrade one behind when `upgrade_as` names who
    upgrades it, else refuse it; refuse one ahead of this release. Each in one line."""
    with engine.connect() as conn:
        found = warehouse_revision(conn, schema)
    if found.current is None:
        if create_if_empty(engine, schema):
            return
        with engine.connect() as conn:  # another process made it meanwhile
            found = warehouse_revision(conn, schema)
    if found.current == head():
        return
    _refuse_unknown(engine, found)
    if upgrade_as is None:
        raise WarehouseError(f"warehouse {_shown(engine)} is at revision {found.current}, this release needs "
                             f"{head()}: run `mql upgrade` (or set MQL_AUTO_UPGRADE=true)")
    upgrade(engine, schema, upgrade_as, lock_wait_seconds)


def _refuse_unknown(engine: Engine, found: Revision) -> None:
    if found.current is not None and found.current not in known_revisions():
        raise WarehouseError(f"warehouse {_shown(engine)} is at revision {found.current}, which this release "
                             f"does not know (its newest is {head()}): it was upgraded by a newer release; "
                             "use that release")


def upgrade(engine: Engine, schema: str, holder: str, lock_wait_seconds: float) -> tuple[str | None, str]:
    """Bring the warehouse to head in one transaction, holding its run lock: (revision before, head).
    An empty warehouse is made from sql/schema; a baseline one is stamped first."""
    from tasks.warehouse.locks import warehouse_lock

    with engine.connect() as conn:
        if warehouse_revision(conn, schema).current is None:
            create_if_empty(engine, schema)
            return None, head()
    with warehouse_lock(engine, holder, lock_wait_seconds), write_transaction(engine, schema) as conn:
        found = warehouse_revision(conn, schema)  # again, now that no run can change it
        _refuse_unknown(engine, found)
        config = _config(conn, _schema_of(conn, schema))
        if not found.stamped:
            command.stamp(config, BASELINE)
        if found.current != head():
            command.upgrade(config, "head")
            # Views hold no data: each upgrade re-creates them all as sql/views has them now.
            for statement in ddl_statements(conn.dialect.name, ("views",)):
                conn.exec_driver_sql(statement)
    return found.current, head()
