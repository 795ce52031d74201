"""Run-level safety and monitoring of the flows under a real Prefect API: a failed day stops a
backfill and says which and why, dry runs write nothing, transient warehouse errors are retried,
anomalies warn (or fail), and every run gets its artifacts and report."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import httpx
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
    table = latest(artifacts("mql-backfill-results"), progress[0].flow_run_id)
    assert [(r["run date"], r["result"]) for r in table] == [
        (str(FIRST_DAY), "succeeded"), (str(DAY2), "failed"), (str(DAY3), "not run yet")]
    assert table[0]["leads_in"] > 0 and "created_at" in table[1]["error"] and table[2]["leads_in"] == ""


def latest(versions: list, flow_run_id) -> list[dict]:
    """The rows of the newest version of a table artifact of one flow run."""
    mine = sorted((a for a in versions if a.flow_run_id == flow_run_id), key=lambda a: a.created)
    return json.loads(mine[-1].data)


def test_runs_are_named_by_their_dates_and_write_nothing_in_the_working_folder(three_days, tmp_path, monkeypatch):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    monkeypatch.delenv("MQL_REPORTS_DIR", raising=False)
    monkeypatch.delenv("MQL_DATA_DOCS_DIR", raising=False)
    served = serve_folder(tmp_path / "sales" / "w-reports")
    monkeypatch.setenv("MQL_REPORTS_URL", served + "/")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    url = f"sqlite:///{tmp_path / 'sales' / 'w.db'}"

    state = backfill(start_date=FIRST_DAY, end_date=DAY2, extracts_dir=str(three_days), warehouse_url=url,
                     return_state=True)
    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).name == f"backfill {FIRST_DAY}..{DAY2}"
        days = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id])))
    assert sorted(run.name for run in days) == [f"nightly {FIRST_DAY}", f"nightly {DAY2}"]

    # The reports and Data Docs are beside the warehouse file; the working folder stays empty.
    assert list(cwd.iterdir()) == []
    runs = read(url, "SELECT report_path, data_docs_path FROM runs ORDER BY run_date")
    beside = tmp_path / "sales" / "w-reports"
    for report, docs in runs.itertuples(index=False):
        assert Path(report).is_file() and Path(report).is_relative_to(beside)
        assert Path(docs).is_file() and Path(docs).is_relative_to(beside / "data_docs")

    # The backfill's own page: a per-date table, complete at the end.
    table = latest(artifacts("mql-backfill-results"), run_id)
    assert [(r["run date"], r["result"]) for r in table] == [(str(FIRST_DAY), "succeeded"), (str(DAY2), "succeeded")]
    written = read(url, "SELECT run_date, value FROM run_counts WHERE stage = 'conservation' AND metric = 'written' "
                        "ORDER BY run_date")
    assert [r["written"] for r in table] == written["value"].tolist()

    # The pages, in headless Chromium with every network request refused: they load, their charts
    # render, their links resolve, no raw markdown and no internal "_" column shows.
    dashboard = beside / "dashboard.html"
    report = Path(runs["report_path"].iloc[-1])
    docs = Path(runs["data_docs_path"].iloc[-1])
    pages = {"dashboard": (dashboard, 7), "run-report": (report, 4), "data-docs": (docs, 0),
             **{f"data-docs-{suite}": (docs.parent / f"{suite}.html", 0) for suite in ("leads", "activities")}}
    doms = {}
    for name, (page, charts) in pages.items():
        dom = doms[name] = in_chromium(page, tmp_path, name)
        assert dom.count("<svg") >= charts and "</body>" in dom, name
        text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", dom, flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", text)
        assert not re.search(r"\|\s*---|\*\*|^#+ |\]\(", text, re.MULTILINE), f"raw markdown on {name}"
        assert not re.search(r"\b_[a-z]+(?:_[a-z]+)*_(?:utc|value|identity|repeat)\b|\b_readable\b", text), name
        for link in re.findall(r'href="([^"#]+)"', dom):
            if link.startswith("http"):  # the summary's links to the served reports location
                assert link.startswith(served) and httpx.get(link, timeout=30).status_code == 200, (name, link)
            else:
                assert (page.parent / link).is_file(), (name, link)
    assert f">{FIRST_DAY}<" in doms["dashboard"] and ">lead rows<" in doms["dashboard"]
    assert ">MQL rate (new MQLs / leads scored)<" in doms["dashboard"] and "Model ranking: " in doms["dashboard"]
    assert ">score on the lead's first run date (bands of about equal leads)<" in doms["dashboard"]
    report_dom = doms["run-report"]
    assert ">MQL threshold 90<" in report_dom and ">leads<" in report_dom and "<table>" in report_dom
    assert "<strong>" in report_dom
    assert 'href="leads.html"' in doms["data-docs"] and 'href="activities.html"' in doms["data-docs"]
    assert "Validation Filter" in doms["data-docs-leads"] and "created_at, as a timestamp" in doms["data-docs-leads"]

    # Where the reports location is served, the artifacts link the report, Data Docs and dashboard
    # over http, and the links answer.
    links = {key: [a for a in artifacts(key) if served in (a.data or "")]
             for key in ("mql-run-report", "mql-run-data-docs", "mql-dashboard")}
    assert [len(found) for found in links.values()] == [2, 2, 1]
    for found in links.values():
        for artifact in found:
            url = re.search(r"\((http://[^)]+)\)", artifact.data).group(1)
            assert httpx.get(url, timeout=30).status_code == 200, url
    (summary,) = [a for a in artifacts("mql-run-summary") if f"# MQL run {DAY2}" in a.data and served in a.data]
    assert f"Run report: [{served}/{DAY2}/" in summary.data and f"Data Docs: [{served}/data_docs/{DAY2}/" in summary.data


def serve_folder(folder: Path) -> str:
    """A local static server of `folder` (as `python -m http.server` would be), for this test session."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder.mkdir(parents=True, exist_ok=True)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{http.server_address[1]}"


def in_chromium(page: Path, tmp_path: Path, name: str) -> str:
    """The page's DOM as headless Chromium builds it (every network request refused by a proxy
    that is not there), and its screenshot kept as a test artifact (in MQL_TEST_ARTIFACTS_DIR, or
    under the test's temporary folder)."""
    import os
    import shutil
    import subprocess

    from tests.conftest import IN_CI

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        message = "headless Chromium not found: apt-get install -y chromium chromium-driver"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--proxy-server=http://127.0.0.1:9",
             "--window-size=1300,2600", f"--user-data-dir={tmp_path / 'chromium-profile'}"]
    shots = Path(os.environ.get("MQL_TEST_ARTIFACTS_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run([chromium, *flags, f"--screenshot={shots / (name + '.png')}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert (shots / (name + ".png")).stat().st_size > 10_000
    return subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                          timeout=120, check=True).stdout


def test_a_dry_run_validates_every_date_and_writes_nothing(three_days, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    summaries = backfill(start_date=FIRST_DAY, end_date=DAY3, extracts_dir=str(three_days), warehouse_url=url,
                         dry_run=True)
    assert [s.status for s in summaries] == ["dry-run ok"] * 3
    assert summaries[0].counts["extract"]["leads_in"] == len(pd.read_csv(three_days / str(FIRST_DAY) / "leads.csv"))
    for table in ("runs", "leads", "run_counts", "rejected_leads"):
        assert read_table(url, table).empty, table
    # Other tests' dry runs publish under the same key in the session's Prefect API: exactly one is this one.
    expected = [(str(d), "dry-run ok") for d in (FIRST_DAY, DAY2, DAY3)]
    (rows,) = [rows for rows in (json.loads(a.data) for a in artifacts("mql-backfill-dry-run"))
               if [(r["run date"], r["result"]) for r in rows] == expected]
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


def test_a_failed_night_ends_in_its_one_line(three_days, tmp_path):
    """A user error fails the run with the error's one line as its state message (no traceback
    of Prefect's), and a caller of the flow still gets the error itself."""
    from tasks.errors import ExtractError

    url = f"sqlite:///{tmp_path / 'w.db'}"
    missing = DAY3 + timedelta(days=5)
    line = f"no extract folder for {missing}: {three_days / str(missing)} does not exist"
    state = nightly(run_date=missing, extracts_dir=str(three_days), warehouse_url=url, return_state=True)
    assert state.is_failed() and state.message == line
    with pytest.raises(ExtractError) as caught:
        nightly(run_date=missing, extracts_dir=str(three_days), warehouse_url=url)
    assert str(caught.value) == line
    assert read(url, "SELECT status, error FROM runs").values.tolist() == [["failed", line]] * 2
