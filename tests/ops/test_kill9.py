"""kill -9 at a random moment of a run and of a re-run chain, on SQLite and PostgreSQL: once the
next holder of the lock has looked, the warehouse holds the old or the new state of every date,
and the next run needs no cleanup."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from flows.nightly import backfill
from tasks.warehouse.locks import warehouse_lock
from tasks.warehouse.connection import open_warehouse
from tests.conftest import FIRST_DAY, read_sql
from tests.flows.test_nightly import snapshot
from tests.ops.test_rerun_chain import prefect_env, saved_tables

pytestmark = pytest.mark.usefixtures("prefect_api")
DAY2, DAY3 = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2)
SEED = 20261130


def same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> bool:
    return all(left[table].equals(right[table]) for table in left)


def kill_while_running(url: str, schema: str, args: list[str], dates: list[str], rng: random.Random) -> str:
    """Start `mql <args>`, wait until a date picked at random has started, then kill -9 the
    process after a random delay; returns what was picked."""
    target, delay = rng.choice(dates), rng.uniform(0.0, 4.0)
    process = subprocess.Popen([str(Path(sys.executable).parent / "mql"), *args, "--warehouse", url],
                               env=prefect_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = "SELECT count(*) AS n FROM runs WHERE run_date = :run_date AND status = 'running'"
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if read_sql(url, started, schema, run_date=target)["n"][0]:
            break
        time.sleep(0.1)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return f"killed {delay:.1f} s into {target} (exit {process.returncode})"


def settled(url: str, schema: str) -> dict[str, pd.DataFrame]:
    """The warehouse once the next holder of the lock has settled what the killed run left."""
    engine = open_warehouse(url, schema)
    with warehouse_lock(engine, "the next run", wait_seconds=60):
        pass
    engine.dispose()
    assert saved_tables(url, schema) == []
    assert read_sql(url, "SELECT count(*) AS n FROM runs WHERE status = 'running'", schema)["n"][0] == 0
    return snapshot(url, schema)


def run_to_the_end(url: str, args: list[str]) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "mql"), *args, "--warehouse", url],
                          env=prefect_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def test_kill_9_at_a_random_moment_leaves_old_or_new_state(in_schema, generated, tmp_path):
    url, schema = in_schema
    rng = random.Random(SEED + url.startswith("postgresql"))
    extracts = tmp_path / "extracts"
    for day in (FIRST_DAY, DAY2, DAY3):
        shutil.copytree(generated / str(day), extracts / str(day))
    backfill(start_date=FIRST_DAY, end_date=DAY2, extracts_dir=str(extracts), warehouse_url=url)

    # A run of a new date.
    old = snapshot(url, schema)
    args = ["run", "--date", str(DAY3), "--extracts", str(extracts)]
    how = kill_while_running(url, schema, args, [str(DAY3)], rng)
    after_kill = settled(url, schema)
    run_to_the_end(url, args)
    new = snapshot(url, schema)
    assert not same(old, new)
    assert same(after_kill, old) or same(after_kill, new), how

    # A re-run chain: day 1 corrected, so days 1 to 3 all change.
    leads = extracts / str(FIRST_DAY) / "leads.csv"
    pd.read_csv(leads, dtype=str, keep_default_na=False).iloc[:-30].to_csv(leads, index=False)
    old = new
    args = ["run", "--date", str(FIRST_DAY), "--extracts", str(extracts)]
    how = kill_while_running(url, schema, args, [str(FIRST_DAY), str(DAY2), str(DAY3)], rng)
    after_kill = settled(url, schema)
    run_to_the_end(url, args)
    new = snapshot(url, schema)
    assert not same(old, new)
    assert same(after_kill, old) or same(after_kill, new), how
    succeeded = read_sql(url, "SELECT run_date FROM runs WHERE status = 'succeeded' ORDER BY run_date", schema)
    assert succeeded["run_date"].astype(str).str[:10].tolist() == [str(FIRST_DAY), str(DAY2), str(DAY3)]
