"""Scratch copies of a warehouse, for replaying stored history with another model (`mql model
whatif`) without touching the live tables.

The copy holds the live warehouse's state as the day before a date left it: every table is
copied in one consistent snapshot (SQLite's online backup of the file into a temporary file; on
PostgreSQL, one repeatable-read transaction that copies table by table into a temporary schema of
the same database, inside the server), then the copy is rewound as re-running that date rewinds a
warehouse (tasks/warehouse/rerun.py, rewind). The live warehouse is only read.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tasks.errors import MqlError, WarehouseError
from tasks.privacy.hash_keys import key_file
from tasks.warehouse.connection import connect_warehouse, open_warehouse, parse_url, query, run_script, \
    warehouse_errors, warehouse_file
from tasks.warehouse.migrations import VERSION_TABLE, head, schema_tables, warehouse_revision
from tasks.warehouse.rerun import rewind

SCRATCH_PREFIX = "mql_whatif_"  # PostgreSQL: the scratch schema's name starts with this
NOT_COPIED = frozenset({"warehouse_lock", VERSION_TABLE})  # the copy's own lock; its revision is made at head


@dataclass(frozen=True)
class Scratch:
    """Where a scratch copy is: its URL and schema, and a temporary folder of its own (the SQLite
    file and its match-key file; anything a replay writes beside a warehouse)."""

    url: str
    schema: str
    folder: Path


def shown(url: str) -> str:
    return parse_url(url, "warehouse URL").render_as_string(hide_password=True)


def open_live(url: str, schema: str) -> Engine:
    """The live warehouse, for reading only: it must exist and be at this release's revision
    (nothing is made or upgraded, unlike open_warehouse)."""
    database = warehouse_file(url)
    if parse_url(url, "warehouse URL").get_backend_name() == "sqlite" and (database is None or not database.exists()):
        raise WarehouseError(f"warehouse {shown(url)} does not exist (a what-if replays a warehouse file's history)")
    engine = connect_warehouse(url, schema)
    try:
        with warehouse_errors(engine, "cannot read"), engine.connect() as conn:
            found = warehouse_revision(conn, schema).current
        if found is None:
            raise WarehouseError(f"warehouse {shown(url)} holds no tables: nothing is loaded")
        if found != head():
            raise WarehouseError(f"warehouse {shown(url)} is at revision {found}, this release needs {head()}: "
                                 "run `mql upgrade`")
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def scratch_copy(url: str, schema: str, before: date, keep: bool = False) -> Iterator[Scratch]:
    """A scratch copy of the warehouse at `url` holding what the day before `before` left; removed
    on leaving (kept with `keep`, for a look at the replay)."""
    backend = parse_url(url, "warehouse URL").get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise WarehouseError(f"a what-if replays into a scratch SQLite file or PostgreSQL schema: a {backend} "
                             "warehouse is not supported")
    folder = Path(tempfile.mkdtemp(prefix="mql-whatif-"))
    scratch: Scratch | None = None
    try:
        scratch = Scratch(f"sqlite:///{folder / 'warehouse.db'}", schema, folder) if backend == "sqlite" \
            else Scratch(url, SCRATCH_PREFIX + uuid.uuid4().hex[:12], folder)
        try:
            copy_warehouse(url, schema, scratch.url, scratch.schema)
        except BaseException:
            if backend == "postgresql":  # a copy cut short is not kept
                drop_schema(url, scratch.schema)
            raise
        engine = open_warehouse(scratch.url, scratch.schema)
        try:
            with engine.begin() as conn:
                _refuse_open_chain(conn, url)
                rewind(conn, before)
        finally:
            engine.dispose()
        yield scratch
    finally:
        if not keep:
            if scratch is not None and backend == "postgresql":
                drop_schema(url, scratch.schema)
            shutil.rmtree(folder, ignore_errors=True)


def _refuse_open_chain(conn: Connection, url: str) -> None:
    """A re-run chain open in the copy: the live warehouse was between the dates of a re-run (or one
    was interrupted), so no date stands as a run left it."""
    chains = query(conn, "open_chains")
    if len(chains):
        row = chains.iloc[0]
        raise MqlError(f"warehouse {shown(url)} is re-running {str(row['from_date'])[:10]} to "
                       f"{str(row['through_date'])[:10]} ({row['started_by']}), or such a re-run was "
                       "interrupted: try again once it is done (the next run puts an interrupted one back)")


def copy_warehouse(url: str, schema: str, target_url: str, target_schema: str) -> None:
    """Copy every table of the warehouse at `url` (tables in `schema` on PostgreSQL) into an empty
    one, in one consistent snapshot, reading the source only: a SQLite file by SQLite's online
    backup into the file of `target_url`, with the match-key file beside it (so that the copy's
    match keys hash as the source's do); on PostgreSQL, the schema `target_schema` of the same
    database made at this release's revision, then each table copied inside the server in one
    repeatable-read transaction."""
    if parse_url(url, "warehouse URL").get_backend_name() == "sqlite":
        _copy_sqlite(url, target_url)
    else:
        _copy_postgresql(url, schema, target_schema)


def _copy_sqlite(url: str, target_url: str) -> None:
    live, target = warehouse_file(url), warehouse_file(target_url)
    assert live is not None and target is not None  # open_live refused anything else
    source = sqlite3.connect(live.as_uri() + "?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise WarehouseError(f"cannot copy warehouse {shown(url)}: {exc}") from exc
    finally:
        source.close()
    keys = key_file(url)
    if keys is not None and keys.exists():
        shutil.copy2(keys, key_file(target_url))  # type: ignore[arg-type]


def _copy_postgresql(url: str, schema: str, target: str) -> None:
    engine = open_warehouse(url, target)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            columns = {table: [c["name"] for c in inspector.get_columns(table, schema=target)]
                       for table in sorted(schema_tables() - NOT_COPIED)}
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with warehouse_errors(engine, "cannot copy"), conn.begin():
                for table, names in columns.items():
                    # Tables and columns named by SQLAlchemy, which quotes them; a column a user
                    # added to a live table is not copied.
                    copy = sa.table(table, *map(sa.column, names), schema=target)
                    source = sa.table(table, *map(sa.column, names), schema=schema)
                    conn.execute(sa.insert(copy).from_select(names, sa.select(*source.c)))
    finally:
        engine.dispose()


def drop_schema(url: str, scratch: str) -> None:
    """Drop a PostgreSQL scratch schema (only ever one this module made)."""
    if not scratch.startswith(SCRATCH_PREFIX):
        raise ValueError(f"not a scratch schema: {scratch!r}")
    engine = sa.create_engine(parse_url(url, "warehouse URL"))
    try:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(scratch, cascade=True, if_exists=True))
    finally:
        engine.dispose()
