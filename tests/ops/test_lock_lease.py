"""PostgreSQL: the run lock survives the death of its database session (the lease keeps others
out while the holder lives), and a holder that lost the lock can never commit (the fence)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from flows.nightly import nightly
from tasks.warehouse.locks import WarehouseBusyError, _pg_key, lock_identity, warehouse_lock
from tasks.warehouse.connection import open_warehouse
from tests.conftest import FIRST_DAY, read_sql

pytestmark = pytest.mark.postgres

# Holds the lock, then obeys commands on stdin: `write` tries a fenced write transaction.
HOLDER = textwrap.dedent("""
    import sys
    import sqlalchemy as sa
    from tasks.warehouse.locks import check_lock, warehouse_lock
    from tasks.warehouse.connection import open_warehouse

    url, schema, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
    engine = open_warehouse(url, schema)
    with warehouse_lock(engine, "the first run", wait_seconds=0, lease_seconds=lease):
        print("held", flush=True)
        for line in sys.stdin:
            if line.strip() == "write":
                try:
                    with engine.begin() as conn:
                        check_lock(conn)
                        conn.execute(sa.text("INSERT INTO run_counts (run_id, run_date, stage, metric, value) "
                                             "VALUES ('first', '2026-03-02', 'x', 'y', 1)"))
                    print("committed", flush=True)
                except Exception as exc:
                    print("refused: " + str(exc), flush=True)
            else:
                break
""")


@pytest.fixture
def pg(postgres_url, monkeypatch):
    """A fresh PostgreSQL schema (the lease is PostgreSQL's: SQLite's file lock dies with its process)."""
    schema = "mql_test_" + uuid.uuid4().hex[:10]
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema)
    yield postgres_url, schema
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
    engine.dispose()


def hold(url: str, schema: str, lease: float) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, url, schema, str(lease)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def ask(process: subprocess.Popen, command: str) -> str:
    process.stdin.write(command + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def terminate_holder_session(url: str, schema: str) -> int:
    """Terminate the database session holding the warehouse's advisory lock (the holder lives on)."""
    engine = open_warehouse(url, schema)
    key = _pg_key(lock_identity(engine))
    engine.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        count = len(conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = :classid AND objid = :objid"),
            {"classid": (key >> 32) & 0xFFFFFFFF, "objid": key & 0xFFFFFFFF}).fetchall())
    engine.dispose()
    return count


def test_a_holder_whose_session_died_keeps_others_out_and_still_commits(pg):
    url, schema = pg
    engine = open_warehouse(url, schema)
    first = hold(url, schema, lease=30)
    try:
        assert terminate_holder_session(url, schema) == 1
        with pytest.raises(WarehouseBusyError, match="the first run"):
            with warehouse_lock(engine, "the second run", wait_seconds=3, poll_seconds=0.2):
                pass
        assert ask(first, "write") == "committed"
    finally:
        ask(first, "exit")
        first.wait(timeout=30)
    with warehouse_lock(engine, "the second run", wait_seconds=5, poll_seconds=0.2):
        pass
    engine.dispose()


def test_a_holder_that_lost_its_lease_can_never_commit(pg):
    url, schema = pg
    engine = open_warehouse(url, schema)
    first = hold(url, schema, lease=2)
    try:
        first.send_signal(signal.SIGSTOP)  # frozen: no renewals
        terminate_holder_session(url, schema)
        time.sleep(3)
        with warehouse_lock(engine, "the second run", wait_seconds=20, poll_seconds=0.2, lease_seconds=2):
            first.send_signal(signal.SIGCONT)
            answer = ask(first, "write")
            assert answer.startswith("refused: this run lost the warehouse's run lock"), answer
    finally:
        first.send_signal(signal.SIGCONT)
        first.kill()
        first.wait(timeout=30)
    assert read_sql(url, "SELECT count(*) AS n FROM run_counts WHERE run_id = 'first'", schema)["n"][0] == 0
    engine.dispose()


@pytest.mark.usefixtures("prefect_api")
def test_runs_never_overlap_when_the_holders_session_is_terminated(pg, generated, monkeypatch):
    url, schema = pg
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "MQL_WAREHOUSE_SCHEMA": schema, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PREFECT_LOGGING_LEVEL": "CRITICAL"}
    last = FIRST_DAY + timedelta(days=2)
    first = subprocess.Popen([str(Path(sys.executable).parent / "mql"), "backfill", "--start", str(FIRST_DAY), "--end",
                              str(last), "--extracts", str(generated), "--warehouse", url], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            engine = open_warehouse(url, schema)
            with engine.connect() as conn:
                held = conn.execute(sa.text("SELECT count(*) FROM runs")).scalar()
            engine.dispose()
            if held:
                break
            time.sleep(0.2)
        assert terminate_holder_session(url, schema) == 1
        monkeypatch.setenv("MQL_LOCK_WAIT_SECONDS", "600")
        second = nightly(run_date=last + timedelta(days=1), extracts_dir=str(generated), warehouse_url=url)
        assert second.status == "succeeded"
    finally:
        _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-2000:]
    runs = read_sql(url, "SELECT run_date, status, started_at, ended_at FROM runs ORDER BY started_at", schema)
    assert runs["status"].tolist() == ["succeeded"] * 4
    ends, starts = pd.to_datetime(runs["ended_at"], utc=True), pd.to_datetime(runs["started_at"], utc=True)
    assert (starts.iloc[1:].to_numpy() >= ends.iloc[:-1].to_numpy()).all(), runs
    assert runs["run_date"].astype(str).str[:10].tolist()[-1] == str(last + timedelta(days=1))
