"""Run-level safety and monitoring of the flows under a real Prefect API: a failed day stops a
backfill and says which and why, dry runs write nothing, transient warehouse errors are retried,
anomalies warn (or fail), and every run gets its artifacts and report."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.nightly import backfill, nightly
from tasks.errors import BackfillError
from tasks.reporting.monitoring import AnomalyError
from tests.conftest import FIRST_DAY, read_sql, read_table

pytestmark = pytest.mark.usefixtures("prefect_api")
DAY2, DAY3 = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2)


def read(url: str, sql: str) -> pd.DataFrame:
    return read_sql(url, sql)


def artifacts(key: str) -> list:
    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))


@pytest.fixture
def three_days(generated: Path, tmp_path: Path) -> Path:
    out = tmp_path / "extracts"
    for day in (FIRST_DAY, DAY2, DAY3):
        shutil.copytree(generated / str(day), out / str(day))
    return out


def test_a_failed_day_stops_the_backfill_and_names_the_day(three_days, tmp_path):
    leads = three_days / str(DAY2) / "leads.csv"
    pd.read_csv(leads, dtype=str).drop(columns=["created_at"]).to_csv(leads, index=False)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    with pytest.raises(BackfillError) as caught:
        backfill(start_date=FIRST_DAY, end_date=DAY3, extracts_dir=str(three_days), warehouse_url=url)
    assert str(caught.value).startswith(
        f"backfill stopped at {DAY2} (date 2 of 3; {FIRST_DAY} to {FIRST_DAY} done, {DAY3} to {DAY3} not run): "
        f"{DAY2}: critical validation failure")
    assert "created_at" in str(caught.value)
    runs = read(url, "SELECT run_date, status FROM runs ORDER BY run_date")
    assert runs.astype(str).values.tolist() == [[str(FIRST_DAY), "succeeded"], [str(DAY2), "failed"]]
    progress = [a for a in artifacts("mql-backfill-progress") if "backfill stopped at" in (a.description or "")]
    assert len(progress) == 1 and progress[0].data == pytest.approx(100 / 3)
    assert progress[0].description.startswith("1 of 3 dates done; backfill stopped at")


def test_a_dry_run_validates_every_date_and_writes_nothing(three_days, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    summaries = backfill(start_date=FIRST_DAY, end_date=DAY3, extracts_dir=str(three_days), warehouse_url=url,
                         dry_run=True)
    assert [s.status for s in summaries] == ["dry-run ok"] * 3
    assert summaries[0].counts["extract"]["leads_in"] == len(pd.read_csv(three_days / str(FIRST_DAY) / "leads.csv"))
    for table in ("runs", "leads", "run_counts", "rejected_leads"):
        assert read_table(url, table).empty, table
    (table,) = artifacts("mql-backfill-dry-run")
    rows = json.loads(table.data)
    assert [(r["run date"], r["result"]) for r in rows] == [(str(d), "dry-run ok") for d in (FIRST_DAY, DAY2, DAY3)]
    assert rows[0]["leads_in"] == summaries[0].counts["extract"]["leads_in"]


def test_a_transient_warehouse_error_is_retried(three_days, tmp_path, monkeypatch):
    import sqlite3

    import tasks.warehouse.state

    real, calls = tasks.warehouse.state.Lookup.known, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks.warehouse.state.Lookup, "known", flaky)
    monkeypatch.setenv("MQL_WAREHOUSE_RETRY_DELAY_SECONDS", "0")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(three_days), warehouse_url=url)
    assert summary.status == "succeeded" and len(calls) == 2
    assert read(url, "SELECT status FROM runs")["status"].tolist() == ["succeeded"]


def test_each_run_gets_a_report_and_anomalies_warn_or_fail(three_days, tmp_path, monkeypatch):
    config = tmp_path / "monitoring.yaml"
    # A one-day baseline and a tolerance no real day meets: the second day must fire.
    config.write_text("baseline_days: 14\nmin_baseline_days: 1\nchecks:\n  mql_rate: {max_absolute_change: 0.0001}\n")
    monkeypatch.setenv("MQL_MONITORING_PATH", str(config))
    monkeypatch.setenv("MQL_REPORTS_DIR", str(tmp_path / "reports"))
    url = f"sqlite:///{tmp_path / 'w.db'}"
    before = len(artifacts("mql-run-anomaly"))
    summaries = backfill(start_date=FIRST_DAY, end_date=DAY2, extracts_dir=str(three_days), warehouse_url=url)
    reports = read(url, "SELECT run_date, report_path FROM runs ORDER BY run_date")
    assert reports["report_path"].tolist() == [s.report_path for s in summaries]
    assert all(Path(p).is_file() and Path(p).is_relative_to(tmp_path / "reports") for p in reports["report_path"])
    warnings = artifacts("mql-run-anomaly")
    assert len(warnings) == before + 1
    assert f"# Anomaly warning: run date {DAY2}" in warnings[0].data and "mql_rate" in warnings[0].data

    monkeypatch.setenv("MQL_FAIL_ON_ANOMALY", "true")
    with pytest.raises(AnomalyError, match=rf"{DAY2}: mql_rate .* is outside its baseline .*MQL_FAIL_ON_ANOMALY"):
        nightly(run_date=DAY2, extracts_dir=str(three_days), warehouse_url=url)
    # The results are written; the Prefect run is what fails (so alerts fire).
    assert read_sql(url, "SELECT status FROM runs WHERE run_date = :day AND status = 'succeeded'",
                    day=str(DAY2)).shape[0] == 1
