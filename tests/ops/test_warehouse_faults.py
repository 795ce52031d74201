"""Faults of the warehouse's database and files give one-line errors (exit 2) and change nothing;
`mql status` lists failed runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from tasks.errors import WarehouseError
from tasks.warehouse.connection import bulk_insert, open_warehouse


def test_status_lists_failed_runs_beside_succeeded_ones(warehouse, monkeypatch):
    # A run without an error came back as NaN beside one with an error: 'float' is not subscriptable.
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    runs = pd.DataFrame({
        "run_id": ["a", "b", "c"], "run_date": ["2026-03-02", "2026-03-03", "2026-03-03"],
        "status": ["succeeded", "failed", "running"], "parameters": "{}",
        "started_at": ["2026-03-03T01:00:00+00:00", "2026-03-04T01:00:00+00:00", "2026-03-04T02:00:00+00:00"],
        "ended_at": ["2026-03-03T01:00:12.5+00:00", "2026-03-04T01:00:03+00:00", None],
        "code_version": "v1", "model_version": "m1",
        "error": [None, "2026-03-03: extract folder missing: /x/2026-03-03", None]})
    counts = pd.DataFrame({"run_id": "a", "run_date": "2026-03-02", "stage": "conservation",
                           "metric": ["leads_in", "written"], "value": [300, 250]})
    with engine.begin() as conn:
        bulk_insert(conn, "runs", runs)
        bulk_insert(conn, "run_counts", counts)
    engine.dispose()
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema)
    result = CliRunner().invoke(app, ["status", "--warehouse", url])
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines() if "│" in line]
    cells = [row for row in rows if row[0].startswith("2026-")]  # a long error folds onto more lines
    assert [row[:2] for row in cells] == [["2026-03-03", "running"], ["2026-03-03", "failed"],
                                          ["2026-03-02", "succeeded"]]
    assert cells[1][3] == "3.0" and cells[1][-1].startswith("2026-03-03: extract folder")
    assert cells[2][3] == "12.5" and cells[2][4:6] == ["300", "250"] and cells[2][-1] == ""
    assert cells[0][3] == "" and cells[0][-1] == ""


def one_line_error(result) -> str:
    """The single line a failed command printed (exit status 2)."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def file_bytes(path: Path) -> bytes:
    return path.read_bytes()


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only for this process: root ignores file modes, so for root an
    immutable file (chattr +i) or a read-only bind mount of the folder; else chmod."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if path.is_dir():
        subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
            yield
        finally:
            subprocess.run(["umount", str(path)], check=True)
        return
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_sqlite_warehouse_is_refused_by_a_run_and_read_by_status(tmp_path, what):
    folder = tmp_path / "w"
    folder.mkdir()
    path = folder / "warehouse.db"
    url = f"sqlite:///{path}"
    open_warehouse(url).dispose()
    before = file_bytes(path)
    with read_only(path if what == "file" else folder):
        line = one_line_error(CliRunner().invoke(app, ["run", "--date", "2026-03-02", "--extracts", str(tmp_path),
                                                       "--warehouse", url]))
        assert line == (f"error: warehouse {url} is read-only: cannot write the file {path}" if what == "file" else
                        f"error: warehouse {url} is read-only: cannot write in its folder {folder} "
                        "(SQLite keeps its journal there, a run its lock file)")
        status = CliRunner().invoke(app, ["status", "--warehouse", url])
        assert status.exit_code == 0 and "latest 0 run(s)" in status.output
    assert file_bytes(path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["warehouse.db"]


def test_a_new_warehouse_in_a_read_only_folder_is_one_line(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    url = f"sqlite:///{folder / 'warehouse.db'}"
    with read_only(folder):
        line = one_line_error(CliRunner().invoke(app, ["status", "--warehouse", url]))
    assert line.startswith(f"error: cannot open warehouse {url} (unable to open database file)")
    assert "older version" not in line and list(folder.iterdir()) == []


def test_a_sqlite_warehouse_locked_by_another_process_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.db"
    url = f"sqlite:///{path}"
    open_warehouse(url).dispose()
    before = file_bytes(path)
    monkeypatch.setattr("tasks.warehouse.connection.SQLITE_BUSY_SECONDS", 0.5)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError) as refused:
            open_warehouse(url, writing=False)
        line = one_line_error(CliRunner().invoke(app, ["status", "--warehouse", url]))
    finally:
        holder.kill()
        holder.wait()
    assert str(refused.value) == (f"warehouse {url} is locked by another process for longer than 0.5 s "
                                  "(database is locked); try again once it is done")
    assert line == "error: " + str(refused.value)
    assert file_bytes(path) == before


def test_a_new_warehouse_on_a_full_disk_is_one_line(tmp_path, full_disk):
    path = tmp_path / "warehouse.db"
    with pytest.raises(WarehouseError) as refused:
        open_warehouse(f"sqlite:///{path}")
    assert str(refused.value) == (f"warehouse sqlite:///{path}: the disk is full (database or disk is full): "
                                  "free space and try again")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:  # the tables are made in one transaction: none of them is left
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()


@contextmanager
def full_disk_now() -> Iterator[None]:
    """Every SQLite connection opened meanwhile finds its file cannot grow (PRAGMA max_page_count,
    which SQLite reports as a full disk), as on a full file system."""
    def cap(dbapi_connection, record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA max_page_count = 1")  # raised to the pages the file has

    sa.event.listen(sa.pool.Pool, "connect", cap)
    try:
        yield
    finally:
        sa.event.remove(sa.pool.Pool, "connect", cap)


@pytest.fixture
def full_disk() -> Iterator[None]:
    with full_disk_now():
        yield


@pytest.mark.usefixtures("prefect_api")
def test_a_run_on_a_full_disk_is_one_line_and_changes_nothing(tmp_path, generated, monkeypatch):
    from flows.nightly import nightly
    from tests.conftest import FIRST_DAY
    from tests.flows.test_nightly import RESULT_TABLES, assert_same, snapshot

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("MQL_WAREHOUSE_RETRIES", "0")
    nightly(run_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=url)
    before = snapshot(url, "mql", RESULT_TABLES)
    with full_disk_now():
        result = CliRunner().invoke(app, ["run", "--date", str(FIRST_DAY + timedelta(days=1)), "--extracts",
                                          str(generated), "--warehouse", url])
    line = one_line_error(result)
    assert line == (f"error: warehouse {url}: the disk is full (database or disk is full): free space and try again")
    assert_same(before, snapshot(url, "mql", RESULT_TABLES))
