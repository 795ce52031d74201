"""Run safety: one run at a time per warehouse, and which warehouse errors are worth retrying.

A run rewrites its date and every loaded date after it, so two runs on the same warehouse must
never interleave, whatever started them (the nightly schedule, a backfill from the UI, the CLI).
The lock lives with the warehouse, not with Prefect:

- SQLite: an OS file lock beside the database file; it vanishes when the holding process dies.
- PostgreSQL: a session advisory lock and a lease in the `warehouse_lock` row, renewed by a
  thread of the holder while it runs. The advisory lock alone is lost when its session dies
  while the run goes on; the lease keeps the next run out until the holder has been silent for
  `lease_seconds` (or, on the same host, until its process is gone).

Each holder writes a token into the `warehouse_lock` row, and every write transaction of a run
reads it back (`check_lock`, on PostgreSQL locking the row until the commit): a run that lost the
lock can never commit. Whoever takes the lock first settles what a dead holder left: runs still
`running` become `crashed`, and an interrupted re-run chain is put back (tasks/warehouse/rerun.py).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tasks.errors import MqlError
from tasks.warehouse.connection import execute, query, sql_statement

LOCK_NAME = "runs"


@dataclass
class _Holding:
    depth: int
    token: str
    lost: threading.Event = field(default_factory=threading.Event)


_held: dict[str, _Holding] = {}  # lock identity -> this process's holding (the lock is re-entrant)
_guard = threading.Lock()


class WarehouseBusyError(MqlError):
    """Another run held the warehouse for longer than this run would wait."""


class LockLostError(MqlError):
    """The run no longer holds the warehouse's run lock, so it must not write."""


def lock_identity(engine: Engine, conn: Connection | None = None) -> str:
    """What the lock protects: the SQLite file, or the PostgreSQL database and schema."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return "sqlite:" + str(Path(url.database or ":memory:").expanduser().resolve())
    if conn is None:
        with engine.connect() as own:
            schema = own.exec_driver_sql("SELECT current_schema()").scalar()
    else:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    return f"{url.get_backend_name()}://{url.host}:{url.port}/{url.database}#{schema}"


def _pg_key(identity: str) -> int:
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big", signed=True)


def describe_holder(what: str) -> str:
    """Who holds the lock, for the message of a run that waits for it."""
    from prefect.runtime import flow_run

    name = flow_run.name
    run = f"flow run {name} ({flow_run.id})" if name else "a run outside Prefect"
    return f"{run}, {what}, pid {os.getpid()} on {socket.gethostname()}"


def _new_token() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex}"


def _holder_is_gone(token: str | None) -> bool:
    """True when the token's process is known to be dead: it ran on this host and its pid is gone."""
    try:
        host, pid, _ = (token or "").split("/")
        if host != socket.gethostname():
            return False
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False
    return False


@contextmanager
def warehouse_lock(engine: Engine, holder: str, wait_seconds: float, poll_seconds: float = 1.0,
                   lease_seconds: float = 30.0) -> Iterator[None]:
    """Hold the warehouse's run lock; wait up to `wait_seconds` for it, then raise WarehouseBusyError."""
    identity = lock_identity(engine)
    with _guard:
        holding = _held.get(identity)
        if holding:
            holding.depth += 1
    if holding:
        try:
            yield
        finally:
            with _guard:
                holding.depth -= 1
        return

    release = _acquire(engine, identity, wait_seconds, poll_seconds)
    if not _has_lease_columns(engine):
        # A warehouse of a revision before the lease, held to be upgraded: the file or advisory lock alone.
        try:
            yield
        finally:
            release()
        return
    token = _new_token()
    holding = _Holding(depth=1, token=token)
    stop = threading.Event()
    heartbeat: threading.Thread | None = None
    try:
        _take_row(engine, holder, token, lease_seconds, wait_seconds, poll_seconds)
        with _guard:
            _held[identity] = holding
        if engine.dialect.name != "sqlite":
            heartbeat = threading.Thread(target=_renew, args=(engine, token, lease_seconds / 3, stop, holding.lost),
                                         name="warehouse-lock-lease", daemon=True)
            heartbeat.start()
        from tasks.warehouse.rerun import settle_interrupted

        with engine.begin() as conn:
            check_lock(conn)
            settle_interrupted(conn, holder)
        yield
    finally:
        stop.set()
        if heartbeat is not None:
            heartbeat.join(timeout=10)
        with _guard:
            if _held.get(identity) is holding:
                _held.pop(identity)
        try:
            with engine.begin() as conn:
                execute(conn, "lock_release", {"name": LOCK_NAME, "token": token})
        except sa.exc.DBAPIError:
            pass  # the database is gone: the lease expires by itself
        finally:
            release()


def _has_lease_columns(engine: Engine) -> bool:
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar() if conn.dialect.name == "postgresql" else None
        return "token" in {c["name"] for c in sa.inspect(conn).get_columns("warehouse_lock", schema=schema)}


def holds_lock(engine: Engine) -> bool:
    """Whether this process holds the lock of `engine`'s warehouse."""
    identity = lock_identity(engine)
    with _guard:
        return identity in _held


def _take_row(engine: Engine, holder: str, token: str, lease_seconds: float, wait_seconds: float,
              poll_seconds: float) -> None:
    """Write this holder's row, once no live holder's lease stands in the way (PostgreSQL)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                query(conn, "lock_fence_postgresql", {"name": LOCK_NAME})  # lock the row while deciding
            current = query(conn, "lock_holder", {"name": LOCK_NAME})
            if not _lease_stands(current, lease_seconds, conn.dialect.name):
                execute(conn, "lock_clear", {"name": LOCK_NAME})
                execute(conn, "lock_record", {"name": LOCK_NAME, "holder": holder, "token": token,
                                              "acquired_at": datetime.now(timezone.utc)})
                return
        if time.monotonic() >= deadline:
            raise _busy(engine, wait_seconds)
        time.sleep(poll_seconds)


def _lease_stands(current, lease_seconds: float, dialect: str) -> bool:
    """Whether the recorded holder may still be running: its lease is fresh and its process not known dead."""
    if dialect == "sqlite" or current.empty or current["token"].iloc[0] is None:
        return False  # the file lock alone decides on SQLite
    row = current.iloc[0]
    age = (row["now"] - row["renewed_at"]).total_seconds()
    return age < lease_seconds and not _holder_is_gone(row["token"])


def _renew(engine: Engine, token: str, every: float, stop: threading.Event, lost: threading.Event) -> None:
    """Renew the lease until stopped; note it if the row no longer carries the token."""
    while not stop.wait(every):
        try:
            with engine.begin() as conn:
                renewed = conn.execute(sa.text(sql_statement("lock_renew")), {"name": LOCK_NAME, "token": token})
                if renewed.rowcount == 0:
                    lost.set()
                    return
        except sa.exc.DBAPIError:
            continue  # a passing connection problem: try again; the lease covers a few misses


def check_lock(conn: Connection) -> None:
    """The fence: raise LockLostError unless this process holds the lock of `conn`'s warehouse
    and the lock row still carries its token. Call inside the write transaction, before writing."""
    identity = lock_identity(conn.engine, conn)
    with _guard:
        holding = _held.get(identity)
    if holding is None:
        raise LockLostError("writing to the warehouse without holding its run lock")
    fence = "lock_fence_postgresql" if conn.dialect.name == "postgresql" else "lock_fence"
    tokens = query(conn, fence, {"name": LOCK_NAME})["token"].tolist()
    if holding.lost.is_set() or tokens != [holding.token]:
        raise LockLostError("this run lost the warehouse's run lock (its lease lapsed and another run took it); "
                            "nothing of it was committed")


def _acquire(engine: Engine, identity: str, wait_seconds: float, poll_seconds: float) -> Callable[[], None]:
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
        return lambda: None  # other databases: the lease row alone (documented in docs/operations.md)
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
        except sa.exc.DBAPIError:
            pass  # the session is gone, and its advisory lock with it
        finally:
            conn.close()

    return release_pg


def _busy(engine: Engine, wait_seconds: float) -> WarehouseBusyError:
    with engine.connect() as conn:
        holders = query(conn, "lock_holder", {"name": LOCK_NAME})
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
