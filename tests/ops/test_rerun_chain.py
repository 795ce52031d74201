"""Re-running a loaded date re-runs the loaded dates after it as one whole: a missing later
extract is found before anything is replaced, a failure or a crash anywhere in the chain puts
every date back, and a run left `running` by a dead process is marked crashed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import nightly
from tasks.warehouse.locks import warehouse_lock
from tasks.warehouse.connection import open_warehouse
from tests.conftest import FIRST_DAY, read_sql
from tests.flows.test_nightly import assert_same, snapshot

pytestmark = pytest.mark.usefixtures("prefect_api")
DAY2, DAY3 = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2)

# A run that dies like kill -9 (no cleanup, no rollback handler) as it starts writing `dies_on`.
DYING_RUN = textwrap.dedent("""
    import os, sys
    from datetime import date
    import tasks.warehouse.state

    url, extracts, run_date, dies_on = sys.argv[1:5]
    write_day = tasks.warehouse.state.write_day

    def dying(conn, day, result):
        if day == date.fromisoformat(dies_on):
            os._exit(9)
        return write_day(conn, day, result)

    tasks.warehouse.state.write_day = dying
    from flows.nightly import nightly
    nightly(run_date=date.fromisoformat(run_date), extracts_dir=extracts, warehouse_url=url)
""")


@pytest.fixture
def three_days(in_schema, generated, loaded_days, tmp_path):
    """A warehouse holding three loaded days, and a copy of their extracts the test may change."""
    url, schema = in_schema
    extracts = tmp_path / "extracts"
    for day in (FIRST_DAY, DAY2, DAY3):
        shutil.copytree(generated / str(day), extracts / str(day))
    loaded_days(in_schema, 3)
    return url, schema, extracts


def succeeded_runs(url: str, schema: str) -> list[list[str]]:
    runs = read_sql(url, "SELECT run_id, run_date FROM runs WHERE status = 'succeeded' ORDER BY run_date", schema)
    return runs.astype(str).values.tolist()


def saved_tables(url: str, schema: str) -> list[str]:
    engine = open_warehouse(url, schema)
    try:
        import sqlalchemy as sa

        names = sa.inspect(engine).get_table_names(schema=schema if url.startswith("postgresql") else None)
    finally:
        engine.dispose()
    return [name for name in names if name.startswith("saved_")]


def prefect_env() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_LOGGING_LEVEL": "CRITICAL"}


def test_a_missing_later_extract_is_found_before_anything_is_replaced(three_days):
    url, schema, extracts = three_days
    before, runs_before = snapshot(url, schema), succeeded_runs(url, schema)
    shutil.move(extracts / str(DAY3), extracts.parent / "moved")
    result = CliRunner().invoke(app, ["run", "--date", str(FIRST_DAY), "--extracts", str(extracts), "--warehouse", url])
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith(f"error: cannot re-run {FIRST_DAY}: the loaded dates after it up to {DAY3} must be re-run")
    assert f"no extract folder for {DAY3}" in line and line.endswith("nothing was changed")
    assert_same(before, snapshot(url, schema))
    assert succeeded_runs(url, schema) == runs_before
    failed = read_sql(url, "SELECT run_date, error FROM runs WHERE status = 'failed'", schema)
    assert failed["run_date"].astype(str).str[:10].tolist() == [str(FIRST_DAY)]
    # With the extract back, the same command re-runs the chain and ends where it started.
    shutil.move(extracts.parent / "moved", extracts / str(DAY3))
    result = CliRunner().invoke(app, ["run", "--date", str(FIRST_DAY), "--extracts", str(extracts), "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert_same(before, snapshot(url, schema))
    assert [day for _, day in succeeded_runs(url, schema)] == [str(d) for d in (FIRST_DAY, DAY2, DAY3)]


def test_a_later_date_that_fails_puts_every_date_of_the_chain_back(three_days, monkeypatch):
    url, schema, extracts = three_days
    before, runs_before = snapshot(url, schema), succeeded_runs(url, schema)
    leads = extracts / str(FIRST_DAY) / "leads.csv"
    frame = pd.read_csv(leads, dtype=str, keep_default_na=False)
    frame.iloc[:-30].to_csv(leads, index=False)  # a corrected day 1: the chain really changes rows
    import tasks.warehouse.state

    write_day = tasks.warehouse.state.write_day

    def failing(conn, day, result):
        if day == DAY3:
            raise RuntimeError("disk full")
        return write_day(conn, day, result)

    monkeypatch.setattr(tasks.warehouse.state, "write_day", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        nightly(run_date=FIRST_DAY, extracts_dir=str(extracts), warehouse_url=url)
    assert_same(before, snapshot(url, schema))
    assert succeeded_runs(url, schema) == runs_before
    statuses = read_sql(url, "SELECT run_date, status FROM runs", schema).astype(str)
    rolled_back = statuses[statuses["status"] == "rolled_back"]["run_date"].str[:10].tolist()
    assert sorted(rolled_back) == [str(FIRST_DAY), str(DAY2)]
    chains = read_sql(url, "SELECT from_date, through_date, status, error FROM run_chains", schema)
    assert chains["status"].tolist() == ["rolled_back"]
    assert "disk full" in chains["error"][0] and f"{FIRST_DAY} to {DAY3} are as they were" in chains["error"][0]
    assert saved_tables(url, schema) == []


def test_a_crash_inside_the_chain_is_put_back_by_the_next_run(three_days):
    url, schema, extracts = three_days
    before, runs_before = snapshot(url, schema), succeeded_runs(url, schema)
    leads = extracts / str(FIRST_DAY) / "leads.csv"
    frame = pd.read_csv(leads, dtype=str, keep_default_na=False)
    frame.iloc[:-30].to_csv(leads, index=False)
    # Dies as day 2 starts writing: day 1 of the chain is committed, days 2 and 3 are gone.
    died = subprocess.run([sys.executable, "-c", DYING_RUN, url, str(extracts), str(FIRST_DAY), str(DAY2)],
                          env=prefect_env(), capture_output=True, text=True, timeout=600)
    assert died.returncode == 9, died.stderr[-2000:]
    left = read_sql(url, "SELECT run_date, status FROM runs WHERE status = 'running'", schema)
    assert left["run_date"].astype(str).str[:10].tolist() == [str(DAY2)]
    assert read_sql(url, "SELECT status FROM run_chains", schema)["status"].tolist() == ["open"]

    # The next holder of the lock (any run, or `mql upgrade`, ...) settles it: no cleanup by hand.
    engine = open_warehouse(url, schema)
    with warehouse_lock(engine, "the next run", wait_seconds=30):
        pass
    engine.dispose()
    assert_same(before, snapshot(url, schema))
    assert succeeded_runs(url, schema) == runs_before
    crashed = read_sql(url, "SELECT run_date, error FROM runs WHERE status = 'crashed'", schema)
    assert crashed["run_date"].astype(str).str[:10].tolist() == [str(DAY2)]
    assert "by the next run: its process died" in crashed["error"][0]
    chains = read_sql(url, "SELECT status, error FROM run_chains", schema)
    assert chains["status"].tolist() == ["rolled_back"] and "interrupted re-run chain" in chains["error"][0]
    assert saved_tables(url, schema) == []
    # `mql status` shows it.
    shown = CliRunner().invoke(app, ["status", "--warehouse", url])
    assert shown.exit_code == 0, shown.output
    assert "crashed" in shown.output

    # And re-running the chain to its end gives what loading the corrected extracts gives.
    nightly(run_date=FIRST_DAY, extracts_dir=str(extracts), warehouse_url=url)
    after = snapshot(url, schema)
    assert not after["lead_scores"].equals(before["lead_scores"])
    assert [day for _, day in succeeded_runs(url, schema)] == [str(d) for d in (FIRST_DAY, DAY2, DAY3)]


def test_a_killed_single_run_is_marked_crashed_by_the_next(in_schema, generated):
    url, schema = in_schema
    died = subprocess.run([sys.executable, "-c", DYING_RUN, url, str(generated), str(FIRST_DAY), str(FIRST_DAY)],
                          env=prefect_env(), capture_output=True, text=True, timeout=600)
    assert died.returncode == 9, died.stderr[-2000:]
    assert read_sql(url, "SELECT status FROM runs", schema)["status"].tolist() == ["running"]
    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=url)
    assert summary.status == "succeeded"
    runs = read_sql(url, "SELECT status, ended_at, error FROM runs ORDER BY started_at", schema)
    assert runs["status"].tolist() == ["crashed", "succeeded"]
    assert runs["ended_at"].notna().all()
    assert runs["error"][0].startswith("crashed: run found still open at ")
    assert f"run date {FIRST_DAY}, pid {os.getpid()}" in runs["error"][0]
