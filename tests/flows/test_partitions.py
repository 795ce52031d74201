"""The per-lead stages partitioned by lead on a Dask cluster (prefect-dask) give the very rows one
process gives, table by table, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
from prefect.client.schemas.objects import StateType

from flows.nightly import backfill
from tests.conftest import FIRST_DAY, contribution_rows, drop_schema, read_sql
from tests.flows.test_nightly import RESULT_TABLES, assert_same, snapshot

pytestmark = pytest.mark.usefixtures("prefect_api")
LAST_DAY = FIRST_DAY + timedelta(days=1)  # a new day, then one on top of it


def test_partitioned_night_writes_what_one_process_writes(warehouse, generated, monkeypatch):
    url, schema = warehouse
    if url.startswith("sqlite"):
        other_url, other_schema = url.replace("warehouse.db", "partitioned.db"), schema
    else:
        other_url, other_schema = url, schema + "_parts"
    try:
        monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema)
        single = backfill(start_date=FIRST_DAY, end_date=LAST_DAY, extracts_dir=str(generated), warehouse_url=url)
        monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", other_schema)
        monkeypatch.setenv("MQL_LEAD_PARTITIONS", "2")
        parted = backfill(start_date=FIRST_DAY, end_date=LAST_DAY, extracts_dir=str(generated),
                          warehouse_url=other_url)
        assert [s.status for s in single] == [s.status for s in parted] == ["succeeded"] * 2
        tables = (*RESULT_TABLES, "lead_merges", "handoffs")
        expected, got = snapshot(url, schema, tables), snapshot(other_url, other_schema, tables)
        assert len(expected["leads"]) > 400 and len(contribution_rows(expected["lead_scores"])) > 1000
        assert_same(expected, got)
        # The partitions ran as tasks of their own, and the run's stage times say so.
        assert all("leads" in s.stage_seconds and "score" not in s.stage_seconds for s in parted)
        assert all("score" in s.stage_seconds and "leads" not in s.stage_seconds for s in single)
        params = read_sql(other_url, "SELECT count(*) AS n FROM runs WHERE status = 'succeeded'", other_schema)
        assert int(params["n"].iloc[0]) == 2
        # Each partition of each date is a completed task run of its own in the Prefect API.
        names = [run.name for run in asyncio.run(_task_runs()) if run.state_type == StateType.COMPLETED]
        assert names.count("leads 1/2") >= 2 and names.count("leads 2/2") >= 2
    finally:
        if other_url == url and other_schema != schema:
            drop_schema(url, other_schema)


async def _task_runs():
    async with get_client() as client:
        return await client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="leads ")))
