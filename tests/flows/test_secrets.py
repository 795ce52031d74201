"""A warehouse password reaches no surface: Prefect (database, parameters, logs, artifacts), the
warehouse's tables, run reports, Data Docs, CLI output and errors. Runs the real flows with a
canary password against the real PostgreSQL server (it trusts local connections, so any password
connects) under the test session's Prefect API."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill, nightly
from tasks.errors import ConfigError, ExtractError
from tests.conftest import FIRST_DAY, read_table

pytestmark = pytest.mark.usefixtures("prefect_api")


@pytest.fixture
def canary(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh PostgreSQL schema, its URL with a canary password, and report folders of this test only."""
    password = "CANARY" + uuid.uuid4().hex
    schema = "mql_secret_" + uuid.uuid4().hex[:10]
    url = sa.make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema)
    monkeypatch.setenv("MQL_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MQL_DATA_DOCS_DIR", str(tmp_path / "data_docs"))
    for name in ("MQL_WAREHOUSE_URL", "MQL_WAREHOUSE_URL_SECRET_BLOCK"):
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("prefect")  # Prefect's loggers do not propagate to the root logger
    captured = _Records()
    logger.addHandler(captured)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    yield {"password": password, "url": url, "schema": schema, "plain_url": postgres_url, "folder": tmp_path,
           "records": captured.records}
    logger.removeHandler(captured)
    logger.setLevel(level)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
    engine.dispose()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))  # message and traceback, formatted as any handler would


def _pages(read: Callable[..., list[Any]]) -> Iterator[Any]:
    offset = 0
    while page := read(limit=200, offset=offset):
        yield from page
        offset += len(page)


def _prefect_database() -> list[Path]:
    """The files of the SQLite database behind the session's Prefect API (WAL and journal too)."""
    from prefect.settings import get_current_settings

    database = sa.make_url(get_current_settings().server.database.connection_url.get_secret_value()).database
    main = Path(database)
    assert main.is_file(), main
    return [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-journal")) if p.is_file()]


def _prefect_tables_holding(text: str, database: Path) -> list[str]:
    """Every table.column of the Prefect database whose values contain `text`."""
    engine = sa.create_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
    found = []
    try:
        with engine.connect() as conn:
            for name in sa.inspect(conn).get_table_names():
                columns = [sa.column(c["name"]) for c in sa.inspect(conn).get_columns(name)]
                table = sa.table(name, *columns)
                for column in columns:
                    holding = sa.select(sa.func.count()).select_from(table).where(
                        sa.func.instr(sa.cast(column, sa.Text), sa.bindparam("text")) > 0)
                    if conn.execute(holding, {"text": text}).scalar():
                        found.append(f"{table.name}.{column.name}")
    finally:
        engine.dispose()
    return found


def surfaces_holding(text: str, canary: dict[str, Any], outputs: dict[str, str], file_bytes: bool = True
                     ) -> list[str]:
    """Every surface whose content contains `text`; `file_bytes`: the Prefect database's files
    searched byte by byte too (old copies of changed rows included), not only its tables."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)  # logs still queued for the API
    found = [f"CLI output of {name}" for name, out in outputs.items() if text in out]
    found += ["log record" for record in canary["records"] if text in record]
    with get_client(sync_client=True) as client:
        for name, read in (("flow run", client.read_flow_runs), ("task run", client.read_task_runs),
                           ("Prefect log", client.read_logs), ("artifact", client.read_artifacts)):
            found += [f"{name} {item.id}" for item in _pages(read) if text in item.model_dump_json()]
    files = _prefect_database()
    found += [f"Prefect database table {where}" for where in _prefect_tables_holding(text, files[0])]
    for path in files if file_bytes else []:
        if text.encode() in path.read_bytes():
            found.append(f"Prefect database file {path.name}")
    for path in sorted(canary["folder"].rglob("*")):  # run reports and Data Docs
        if path.is_file() and text.encode() in path.read_bytes():
            found.append(f"file {path.relative_to(canary['folder'])}")
    results = Path(os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"])  # set by the prefect_api fixture
    found += [f"Prefect result {path.name}" for path in sorted(results.rglob("*"))
              if path.is_file() and text.encode() in path.read_bytes()]
    engine = sa.create_engine(canary["plain_url"], connect_args={"options": "-c search_path=" + canary["schema"]})
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names(schema=canary["schema"])
            assert "runs" in tables and "leads" in tables, tables
            for table in tables:
                rows = read_table(canary["plain_url"], table, canary["schema"])
                if any(text in str(value) for column in rows.columns for value in rows[column]):
                    found.append(f"warehouse table {table}")
    finally:
        engine.dispose()
    return found


@pytest.mark.postgres
def test_cli_runs_leave_the_password_on_no_surface(canary, generated):
    runner = CliRunner()
    url, password = canary["url"], canary["password"]
    ok = runner.invoke(app, ["run", "--date", str(FIRST_DAY), "--extracts", str(generated), "--warehouse", url])
    assert ok.exit_code == 0, ok.output
    # A run refused before its flow starts (its date has no extracts), one that fails inside the
    # flow (its date's folder holds no files), and an unparseable URL.
    refused = runner.invoke(app, ["run", "--date", str(FIRST_DAY + timedelta(days=1)), "--extracts",
                                  str(canary["folder"] / "none"), "--warehouse", url])
    assert refused.exit_code == 2 and "no extract folder" in refused.output, refused.output
    (canary["folder"] / "empty" / str(FIRST_DAY + timedelta(days=1))).mkdir(parents=True)
    failed = runner.invoke(app, ["run", "--date", str(FIRST_DAY + timedelta(days=1)), "--extracts",
                                 str(canary["folder"] / "empty"), "--warehouse", url])
    missing = "required file leads.csv or leads.parquet is missing"
    assert failed.exit_code == 2 and missing in failed.output, failed.output
    status = runner.invoke(app, ["status", "--warehouse", url])  # its error column included
    assert status.exit_code == 0 and "succeeded" in status.output and "leads.parquet is missing" in status.output, \
        status.output  # the table wraps the error
    bad_port = url.replace(":5432/", ":54x2/")
    unparseable = runner.invoke(app, ["run", "--date", str(FIRST_DAY), "--warehouse", bad_port])

    outputs = {"a run": ok.output, "a refused run": refused.output, "a failed run": failed.output,
               "an unparseable URL": unparseable.output, "mql status": status.output}
    assert surfaces_holding(password, canary, outputs) == []
    assert unparseable.exit_code == 2
    assert unparseable.output.strip() == "error: --warehouse: not a SQLAlchemy URL (its port is not a number)"
    # The search reaches every surface: texts that are there are found there.
    failure = surfaces_holding(missing, canary, outputs)
    day = surfaces_holding(str(FIRST_DAY), canary, {})
    for surface in ("CLI output of a failed run", "log record", "Prefect log", "flow run", "warehouse table runs"):
        assert any(s.startswith(surface) for s in failure), (surface, failure)
    for surface in ("Prefect database table flow_run.parameters", "Prefect database file", "artifact", "file reports/", "file data_docs/",
                    "warehouse table lead_scores"):
        assert any(s.startswith(surface) for s in day), (surface, day)


@pytest.mark.postgres
def test_a_secret_block_holds_the_warehouse_url(canary, generated, monkeypatch):
    from prefect.blocks.system import Secret

    block = "mql-warehouse-" + uuid.uuid4().hex[:8]
    Secret(value=canary["url"]).save(block)
    monkeypatch.setenv("MQL_WAREHOUSE_URL_SECRET_BLOCK", block)
    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(generated))
    assert summary.status == "succeeded"
    summaries = backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=1), extracts_dir=str(generated))
    assert [s.status for s in summaries] == ["succeeded", "succeeded"]
    with pytest.raises(ExtractError, match="no extract folder"):
        nightly(run_date=FIRST_DAY + timedelta(days=2), extracts_dir=str(canary["folder"] / "none"))
    status = CliRunner().invoke(app, ["status"])  # the CLI reads the same block
    assert status.exit_code == 0 and "succeeded" in status.output and "no extract folder" in status.output, \
        status.output

    assert surfaces_holding(canary["password"], canary, {"mql status": status.output}) == []


@pytest.mark.postgres
def test_a_warehouse_url_parameter_with_a_password_is_refused_and_not_kept(canary, generated):
    from prefect.client.orchestration import get_client

    # A URL without a password is still a parameter, shown as given.
    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=canary["plain_url"])
    assert summary.status == "succeeded"
    with pytest.raises(ConfigError) as refused:
        nightly(run_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=canary["url"])
    assert "MQL_WAREHOUSE_URL" in str(refused.value) and "MQL_WAREHOUSE_URL_SECRET_BLOCK" in str(refused.value)
    with pytest.raises(ConfigError):
        backfill(start_date=FIRST_DAY, end_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=canary["url"])
    unparseable = canary["url"].replace(":5432/", ":54x2/")
    with pytest.raises(ConfigError, match=r"^warehouse_url parameter: not a SQLAlchemy URL \(its port is not a number\)$"):
        nightly(run_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=unparseable)
    with get_client(sync_client=True) as client:
        runs = [r for r in _pages(client.read_flow_runs) if r.parameters.get("warehouse_url") == "(refused)"]
    assert len(runs) == 3 and {r.state.type.value for r in runs} == {"FAILED"}
    # The flow run was created with the parameter before the flow could refuse it: its record is
    # blanked, while the database file may keep the page's old copy until SQLite reuses it.
    assert surfaces_holding(canary["password"], canary, {"error": str(refused.value)}, file_bytes=False) == []


def test_warehouse_settings_errors_name_their_source_not_the_url(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.delenv("MQL_WAREHOUSE_URL_SECRET_BLOCK", raising=False)
    monkeypatch.setenv("MQL_WAREHOUSE_URL", "postgresql+psycopg://u:CANARY1@h:port/db")
    from_env = runner.invoke(app, ["status"])
    monkeypatch.setenv("MQL_WAREHOUSE_URL", "CANARY2")
    not_a_url = runner.invoke(app, ["run", "--date", str(FIRST_DAY)])
    monkeypatch.setenv("MQL_WAREHOUSE_URL_SECRET_BLOCK", "no-such-block-" + uuid.uuid4().hex[:6])
    both = runner.invoke(app, ["status"])
    monkeypatch.delenv("MQL_WAREHOUSE_URL")
    missing = runner.invoke(app, ["status"])
    # The option wins over the environment: a sqlite file, no block read.
    option = runner.invoke(app, ["status", "--warehouse", f"sqlite:///{tmp_path / 'w.db'}"])
    assert [(r.exit_code, r.output.strip()) for r in (from_env, not_a_url, both)] == [
        (2, "error: MQL_WAREHOUSE_URL: not a SQLAlchemy URL (its port is not a number)"),
        (2, "error: MQL_WAREHOUSE_URL: not a SQLAlchemy URL "
            "(expected dialect+driver://user:password@host:port/database or sqlite:///file)"),
        (2, "error: MQL_WAREHOUSE_URL and MQL_WAREHOUSE_URL_SECRET_BLOCK are both set: set one"),
    ]
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1, missing.output
    assert missing.output.startswith("error: MQL_WAREHOUSE_URL_SECRET_BLOCK: cannot read the Secret block "
                                     "'no-such-block-"), missing.output
    assert option.exit_code == 0 and "latest 0 run(s)" in option.output, option.output
