"""The warehouse run lock (SQLite and PostgreSQL) and which errors count as transient."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from tasks.errors import ExtractError, WarehouseError
from tasks.warehouse.locks import WarehouseBusyError, is_transient, warehouse_lock
from tasks.warehouse.connection import open_warehouse

HOLDER = textwrap.dedent("""
    import sys, time
    from tasks.warehouse.locks import warehouse_lock
    from tasks.warehouse.connection import open_warehouse
    engine = open_warehouse(sys.argv[1], sys.argv[2])
    with warehouse_lock(engine, "flow run other-run, run date 2026-03-04", wait_seconds=0):
        print("held", flush=True)
        time.sleep(float(sys.argv[3]))
""")


def hold(url: str, schema: str, seconds: float) -> subprocess.Popen:
    """Another process holding the lock for `seconds`; returns once it holds it."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, url, schema, str(seconds)], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_fails_with_who_holds_the_lock_then_gets_it(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    other = hold(url, schema, 60)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError) as caught:
            with warehouse_lock(engine, "me", wait_seconds=1.5, poll_seconds=0.2):
                pass
        assert 1.4 < time.monotonic() - started < 10
        message = str(caught.value)
        assert "is busy: flow run other-run, run date 2026-03-04, since 20" in message
        assert "waited 1.5 s (MQL_LOCK_WAIT_SECONDS)" in message
    finally:
        # A killed holder leaves no stale lock behind.
        other.send_signal(signal.SIGKILL)
        other.wait()
    with warehouse_lock(engine, "me", wait_seconds=5, poll_seconds=0.2):
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT holder FROM warehouse_lock")).scalars().all() == ["me"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM warehouse_lock")).scalar() == 0
    engine.dispose()


def test_a_second_run_waits_for_the_first(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    other = hold(url, schema, 2)
    started = time.monotonic()
    with warehouse_lock(engine, "me", wait_seconds=60, poll_seconds=0.2):
        waited = time.monotonic() - started
    other.wait()
    assert 1.0 < waited < 30
    engine.dispose()


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    engine = open_warehouse(f"sqlite:///{tmp_path / 'w.db'}")
    with warehouse_lock(engine, "backfill", wait_seconds=0):
        with warehouse_lock(engine, "one date of it", wait_seconds=0):
            pass
        with engine.connect() as conn:  # the outer holder is still recorded
            assert conn.execute(sa.text("SELECT holder FROM warehouse_lock")).scalars().all() == ["backfill"]
    engine.dispose()


def test_transient_errors_are_connection_and_lock_problems_only():
    locked = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    missing = sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: leads"))
    import psycopg

    dropped = sa.exc.OperationalError("SELECT", {}, psycopg.OperationalError("server closed the connection"))
    bad_sql = sa.exc.ProgrammingError("SELECT", {}, psycopg.ProgrammingError("syntax error"))
    assert is_transient(locked) and is_transient(dropped) and is_transient(ConnectionResetError())
    assert not is_transient(missing) and not is_transient(bad_sql)
    assert not is_transient(WarehouseError("cannot reach warehouse")) and not is_transient(ExtractError("x"))
    assert not is_transient(RuntimeError("disk full"))
