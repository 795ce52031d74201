"""Shared fixtures: real warehouses (SQLite file, PostgreSQL schema) and one Prefect API per session."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("MQL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FIRST_DAY = date(2026, 3, 2)
BUCKET = "leads-landing"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Run reports of the flow tests go to a temporary folder, not the checkout.
os.environ.setdefault("MQL_REPORTS_DIR", tempfile.mkdtemp(prefix="mql-test-reports-"))
os.environ.setdefault("MQL_DATA_DOCS_DIR", tempfile.mkdtemp(prefix="mql-test-data-docs-"))
# The match-key secret a PostgreSQL warehouse needs (tests of the key file beside SQLite unset it).
os.environ.setdefault("MQL_MATCH_KEY_SECRET", "test-only-match-key-secret-0123456789")


def _postgres_reachable() -> str | None:
    """None if PostgreSQL answers, else why not."""
    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        return None
    except Exception as exc:  # any failure to connect means the same thing here
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


def read_sql(url: str, sql: str, schema: str | None = None, **params) -> pd.DataFrame:
    """The rows of a test's own SQL against a warehouse (tables in `schema` on PostgreSQL)."""
    connect_args = {"options": "-c search_path=" + schema} if schema and url.startswith("postgresql") else {}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    finally:
        engine.dispose()


def contribution_rows(scores: pd.DataFrame) -> pd.DataFrame:
    """`lead_scores` rows' contributions, one row per lead, rule and run date (run_date, lead_id,
    kind, rule, raw_points, decay_factor, decayed_value, points)."""
    from tasks.scoring.score import read_ledgers

    return read_ledgers(scores, ["run_date", "lead_id"])


def read_table(url: str, table: str, schema: str | None = None) -> pd.DataFrame:
    """Every row of one table (in `schema` on PostgreSQL); the table is reflected, so its name is
    quoted by SQLAlchemy and never pasted into SQL text."""
    postgres = url.startswith("postgresql")
    engine = sa.create_engine(url, connect_args={"options": "-c search_path=" + schema} if schema and postgres else {})
    try:
        with engine.connect() as conn:
            where = schema if postgres else None
            # Untyped columns: values come back as the driver gives them, as plain SQL would.
            columns = [sa.column(c["name"]) for c in sa.inspect(conn).get_columns(table, schema=where)]
            result = conn.execute(sa.select(sa.table(table, *columns, schema=where)))
            # Plain tuples: pandas takes a row with a column named "keys" (lead_merges) for a dict.
            return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server for warehouse tests: must answer in CI, may be absent elsewhere."""
    problem = _postgres_reachable()
    if problem:
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem}); set MQL_TEST_POSTGRES_URL"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, schema) of an empty warehouse: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}", "mql"
        return
    url = request.getfixturevalue("postgres_url")
    schema = "mql_test_" + uuid.uuid4().hex[:10]
    yield url, schema
    drop_schema(url, schema)


def drop_schema(url: str, schema: str) -> None:
    """Drop a PostgreSQL schema a test made, with everything in it."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
    engine.dispose()


@pytest.fixture
def in_schema(warehouse, monkeypatch):
    """The warehouse, with its schema set the way a user sets it (MQL_WAREHOUSE_SCHEMA)."""
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", warehouse[1])
    return warehouse


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A real temporary Prefect API server, started once per test session."""
    os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(tmp_path_factory.mktemp("prefect-results"))
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # The flow tests read flow runs, task runs and artifacts, never the event feed or automations
    # (tests/ops tries those on a real server of its own): the test server neither stores events nor
    # matches them to triggers, a fifth of its CPU time. Set for its start only: a server that
    # tests/ops starts later from this process's environment keeps them.
    harness = prefect_test_harness(server_startup_timeout=120)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED", "false")
        env.setenv("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "false")
        harness.__enter__()
    # Nor do they use heartbeats (zombie detection, tried by tests/ops on a real worker): the flows
    # run here send none, and each flow run ends without waiting up to a second for its heartbeat
    # thread (flows/nightly.py, parent_heartbeat). A test that needs them turns them on again.
    quiet = temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    quiet.__enter__()
    try:
        yield
    finally:
        quiet.__exit__(None, None, None)
        harness.__exit__(None, None, None)


@pytest.fixture(scope="session")
def loaded_days(generated: Path, tmp_path_factory: pytest.TempPathFactory):
    """`loaded_days(warehouse, days)`: fills the empty test warehouse `warehouse` (URL, schema) with
    the first `days` generated days, backfilled once per session and kind of database and copied
    (tasks/warehouse/scratch.py, copy_warehouse); returns that backfill's summaries. Needs a Prefect API (prefect_api)."""
    made: dict[tuple[str, int], tuple[str, str, list]] = {}

    def load(warehouse: tuple[str, str], days: int) -> list:
        from flows.nightly import backfill
        from tasks.warehouse.scratch import copy_warehouse

        url, schema = warehouse
        kind = url.split(":", 1)[0]
        if (kind, days) not in made:
            if url.startswith("sqlite"):
                source = f"sqlite:///{tmp_path_factory.mktemp('loaded') / 'warehouse.db'}", "mql"
            else:
                source = url, "mql_loaded_" + uuid.uuid4().hex[:10]
            with pytest.MonkeyPatch.context() as env:
                env.setenv("MQL_WAREHOUSE_SCHEMA", source[1])
                summaries = backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=days - 1),
                                     extracts_dir=str(generated), warehouse_url=source[0])
            made[kind, days] = (*source, summaries)
        source_url, source_schema, summaries = made[kind, days]
        copy_warehouse(source_url, source_schema, *warehouse)
        return summaries

    yield load
    for url, schema, _ in made.values():
        if url.startswith("postgresql"):
            drop_schema(url, schema)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five days of generated extracts (300 lead rows a day) shared by the flow tests; read-only."""
    from synthetic.generate import generate_extracts

    out = tmp_path_factory.mktemp("extracts")
    generate_extracts(out, FIRST_DAY, days=5, leads_per_day=300, seed=11)
    return out


# The reader may use S3 (so a missing bucket is "no such bucket", not "access denied").
READER_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'


@pytest.fixture(scope="session")
def s3(generated: Path) -> Iterator[dict[str, Any]]:
    """A local S3 API (moto's threaded server, one per session: moto keeps its state per process)
    holding days 1 and 3 of the generated extracts under s3://leads-landing/extracts/ (day 2 has
    none), a user allowed to use S3 and one allowed nothing; IAM enforced."""
    import boto3
    import requests
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    setup = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "setup",
             "aws_secret_access_key": "setup-only"}
    try:
        bucket = boto3.client("s3", **setup)
        bucket.create_bucket(Bucket=BUCKET)
        for day in (FIRST_DAY, FIRST_DAY + timedelta(days=2)):
            for path in sorted((generated / str(day)).iterdir()):
                bucket.upload_file(str(path), BUCKET, f"extracts/{day}/{path.name}")
        iam = boto3.client("iam", **setup)
        keys = {}
        for user in ("reader", "stranger"):
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        iam.put_user_policy(UserName="reader", PolicyName="read-leads", PolicyDocument=READER_POLICY)
        # From now on every request is authenticated and authorised against IAM.
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
        yield {"endpoint": endpoint, "keys": keys}
    finally:
        server.stop()


@pytest.fixture
def as_user(s3, monkeypatch):
    """Put a user's credentials in the environment, where s3fs and botocore read them."""

    def use(user: str) -> str:
        key_id, secret = s3["keys"][user]
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        monkeypatch.setenv("AWS_ENDPOINT_URL", s3["endpoint"])
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return secret

    return use
