"""Run safety: one run at a time per warehouse, and which warehouse errors are worth retrying.

A run rewrites its date and every loaded date after it, so two runs on the same warehouse must
never interleave, whatever started them (the nightly schedule, a backfill from the UI, the CLI).
The lock lives with the warehouse, not with Prefect: a PostgreSQL session advisory lock keyed
by the schema, or an OS file lock beside the SQLite file. Both vanish when the holding process
dies, so a crashed run never leaves a stale lock. The holder's description is kept in the
`warehouse_lock` table only to tell a waiting run who it waits for.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.errors import MqlError
from tasks.warehouse import execute, query

_held: dict[str, int] = {}  # lock identity -> nesting depth in this process (the lock is re-entrant)
_guard = threading.Lock()


class WarehouseBusyError(MqlError):
    """Another run held the warehouse for longer than this run would wait."""


def lock_identity(engine: Engine) -> str:
    """What the lock protects: the SQLite file, or the PostgreSQL database and schema."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return "sqlite:" + str(Path(url.database or ":memory:").expanduser().resolve())
    return f"{url.get_backend_name()}://{url.host}:{url.port}/{url.database}#{_pg_schema(engine)}"


def _pg_schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT current_schema()").scalar())


def _pg_key(identity: str) -> int:
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big", signed=True)


def describe_holder(what: str) -> str:
    """Who holds the lock, for the message of a run that waits for it."""
    from prefect.runtime import flow_run

    name = flow_run.name
    run = f"flow run {name} ({flow_run.id})" if name else "a run outside Prefect"
    return f"{run}, {what}, pid {os.getpid()} on {socket.gethostname()}"


@contextmanager
def warehouse_lock(engine: Engine, holder: str, wait_seconds: float, poll_seconds: float = 1.0) -> Iterator[None]:
    """Hold the warehouse's run lock; wait up to `wait_seconds` for it, then raise WarehouseBusyError."""
    identity = lock_identity(engine)
    with _guard:
        if _held.get(identity):
            _held[identity] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[identity] -= 1
        return

    release = _acquire(engine, identity, wait_seconds, poll_seconds)
    try:
        with engine.begin() as conn:
            execute(conn, "lock_clear", {"name": "runs"})
            execute(conn, "lock_record", {"name": "runs", "holder": holder, "acquired_at": datetime.now(timezone.utc)})
        with _guard:
            _held[identity] = 1
        yield
    finally:
        with _guard:
            _held.pop(identity, None)
        try:
            with engine.begin() as conn:
                execute(conn, "lock_clear", {"name": "runs"})
        finally:
            release()


def _acquire(engine: Engine, identity: str, wait_seconds: float, poll_seconds: float):
    """Take the lock (waiting as allowed); returns the function that releases it."""
    deadline = time.monotonic() + wait_seconds
    if engine.url.get_backend_name() == "sqlite":
        import fcntl

        path = Path(identity.removeprefix("sqlite:") + ".lock")
        handle = open(path, "a+")  # noqa: SIM115 - closed by the release function
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise _busy(engine, wait_seconds) from None
                time.sleep(poll_seconds)

        def release() -> None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

        return release

    if engine.dialect.name != "postgresql":
        return lambda: None  # other databases: no lock (documented in the README)
    conn = engine.connect()
    key = _pg_key(identity)
    try:
        while not query(conn, "lock_try_postgresql", {"key": key})["acquired"].iloc[0]:
            conn.commit()
            if time.monotonic() >= deadline:
                raise _busy(engine, wait_seconds)
            time.sleep(poll_seconds)
        conn.commit()
    except BaseException:
        conn.close()
        raise

    def release_pg() -> None:
        try:
            query(conn, "lock_release_postgresql", {"key": key})
            conn.commit()
        finally:
            conn.close()

    return release_pg


def _busy(engine: Engine, wait_seconds: float) -> WarehouseBusyError:
    with engine.connect() as conn:
        holders = query(conn, "lock_holder", {"name": "runs"})
    shown = engine.url.render_as_string(hide_password=True)
    who = (f"{holders['holder'].iloc[0]}, since {str(holders['acquired_at'].iloc[0])[:19]}"
           if len(holders) else "another run")
    return WarehouseBusyError(f"warehouse {shown} is busy: {who} holds its run lock; "
                              f"waited {wait_seconds:g} s (MQL_LOCK_WAIT_SECONDS)")


def is_transient(exc: BaseException) -> bool:
    """True for warehouse errors that a retry can cure: a lost connection, a locked database,
    a serialization failure or deadlock. Errors in the data or the SQL are not transient."""
    if isinstance(exc, MqlError):
        return False
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.OperationalError):
        orig = exc.orig
        if type(orig).__module__.startswith("sqlite3"):
            # sqlite3 raises OperationalError for syntax errors and missing tables too.
            text = str(orig).lower()
            return "locked" in text or "busy" in text or "disk i/o" in text
        return True
    return isinstance(exc, (sa.exc.InterfaceError, ConnectionError, TimeoutError))


def retry_if_transient(task, task_run, state) -> bool:
    """Prefect `retry_condition_fn`: retry a stage only after a transient warehouse error."""
    try:
        state.result()
    except BaseException as exc:  # the stage's exception, re-raised by result()
        return is_transient(exc)
    return False
