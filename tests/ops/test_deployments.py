"""The runbook, end to end, against a real Prefect server: start `prefect server start` with its own
SQLite database, create the process pool, deploy from deployments/prefect.yaml, start a worker,
trigger the `backfill` deployment through the API the way the UI's Custom run form does, and check
the warehouse, the audit rows, the artifacts and the UI's deployment page in headless Chromium."""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import FIRST_DAY, IN_CI, read_sql

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--lang=en-US"]
LAST_DAY = FIRST_DAY + timedelta(days=2)
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
RETRIED_STATUSES = {429, 502, 503}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run the `prefect` CLI of this venv from the checkout's root; its output (fails on error)."""
    done = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def stop(process: subprocess.Popen) -> None:
    """Stop a process group started here (the server and the worker start children)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Server:
    def __init__(self, url: str, env: dict[str, str], logs: Path) -> None:
        self.url, self.api, self.env, self.logs = url, url + "/api", env, logs

    def get(self, path: str) -> dict:
        return self._request("GET", path)

    def post(self, path: str, body: dict) -> dict | list:
        return self._request("POST", path, json=body)

    def _request(self, method: str, path: str, **kwargs) -> dict | list:
        """Like Prefect's own client (and the UI), try again when the server is briefly busy: its
        SQLite database answers 503 while another writer holds it, more often on a loaded machine."""
        for attempt in range(6):
            response = httpx.request(method, self.api + path, timeout=30, **kwargs)
            if response.status_code not in RETRIED_STATUSES or attempt == 5:
                break
            time.sleep(2**attempt)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`prefect server start` on a free port, with its own home and SQLite database."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MQL_"))}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": url + "/api",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    })
    log = home / "server.log"
    process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=home, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "prefect server exited:\n" + log.read_text()
            assert time.monotonic() < deadline, "prefect server did not answer in 120 s:\n" + log.read_text()
            time.sleep(0.5)
        yield Server(url, env, home)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def deployed(server: Server, tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Iterator[dict]:
    """The process pool, both deployments from deployments/prefect.yaml, and a worker whose
    environment points the runs at a fresh SQLite warehouse and the generated extracts."""
    prefect(server.env, "work-pool", "create", "mql-process", "--type", "process")
    prefect(server.env, "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
    work = tmp_path_factory.mktemp("warehouse")
    warehouse = f"sqlite:///{work / 'warehouse.db'}"
    # Anomaly checks from the second day on, firing at any change of MQL rate (the alert test's anomaly).
    (work / "monitoring.yaml").write_text("min_baseline_days: 1\nchecks:\n  mql_rate: {max_absolute_change: 0.0001}\n")
    worker_env = {**server.env, "MQL_CHECKOUT": str(ROOT), "MQL_WAREHOUSE_URL": warehouse,
                  "MQL_MONITORING_PATH": str(work / "monitoring.yaml"),
                  "MQL_EXTRACTS_DIR": str(generated), "MQL_REPORTS_DIR": str(work / "reports"),
                  "MQL_DATA_DOCS_DIR": str(work / "data_docs"),
                  "PREFECT_WORKER_QUERY_SECONDS": "1"}
    log = server.logs / "worker.log"
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "mql-process"], cwd=ROOT,
                              env=worker_env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield {"warehouse": warehouse, "reports": work / "reports", "worker_log": log}
    finally:
        stop(worker)


def wait_for(server: Server, flow_run_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = server.get(f"/flow_runs/{flow_run_id}")
        if run["state_type"] in FINAL:
            return run
        assert time.monotonic() < deadline, f"flow run still {run['state_type']} after {timeout} s"
        time.sleep(1)


def read(url: str, sql: str) -> pd.DataFrame:
    return read_sql(url, sql)


@pytest.mark.server
@pytest.mark.browser
def test_backfill_deployment_runs_on_a_worker_and_shows_in_the_ui(server, deployed, generated, tmp_path):
    started = time.monotonic()
    deployments = {d["name"]: d for d in server.post("/deployments/filter", {})}
    assert set(deployments) == {"nightly", "backfill"}
    nightly, backfill = deployments["nightly"], deployments["backfill"]
    # The nightly schedule has a time zone; the backfill form has date pickers (format: date).
    (schedule,) = nightly["schedules"]
    assert schedule["schedule"]["cron"] == "30 2 * * *" and schedule["schedule"]["timezone"] == "Europe/Berlin"
    properties = backfill["parameter_openapi_schema"]["properties"]
    assert properties["start_date"]["format"] == properties["end_date"]["format"] == "date"
    assert properties["dry_run"]["type"] == "boolean" and "model_path" in properties
    assert backfill["parameter_openapi_schema"]["required"] == ["start_date", "end_date"]
    assert properties["extracts_dir"]["type"] == "string" and "anyOf" not in properties["extracts_dir"]

    # What the UI's Custom run form posts.
    run = server.post(f"/deployments/{backfill['id']}/create_flow_run", {
        "parameters": {"start_date": str(FIRST_DAY), "end_date": str(LAST_DAY)},
        "state": {"type": "SCHEDULED", "message": "Run from the Prefect UI"}})
    final = wait_for(server, run["id"])
    log = deployed["worker_log"].read_text()
    assert final["state_type"] == "COMPLETED", f"{final['state']['message']}\nworker log:\n{log[-4000:]}"
    assert final["name"] == f"backfill {FIRST_DAY}..{LAST_DAY}"
    days = server.post("/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [run["id"]]}}})
    assert sorted(d["name"] for d in days) == [f"nightly {FIRST_DAY + timedelta(days=d)}" for d in range(3)]

    # The warehouse: three succeeded runs, every lead row accounted for, a report per run.
    url, work = deployed["warehouse"], deployed["reports"].parent
    runs = read(url, "SELECT run_date, status, report_path FROM runs ORDER BY run_date")
    assert runs["run_date"].astype(str).str[:10].tolist() == [str(FIRST_DAY + timedelta(days=d)) for d in range(3)]
    assert runs["status"].tolist() == ["succeeded"] * 3
    for path in runs["report_path"]:
        assert Path(path).is_file() and Path(path).parent.parent == deployed["reports"]
        assert "<svg" in Path(path).read_text() and "Funnel" in Path(path).read_text()
    counts = read(url, "SELECT run_date, metric, value FROM run_counts WHERE stage = 'conservation'")
    for day, group in counts.groupby("run_date"):
        c = dict(zip(group["metric"], group["value"]))
        assert c["leads_in"] == len(pd.read_csv(generated / str(day)[:10] / "leads.csv", dtype=str))
        assert c["written"] + c["merged"] + c["rejected"] + c["quarantined"] == c["leads_in"]
    audit = read(url, "SELECT r.run_date, count(*) AS n FROM validation_results AS v "
                      "JOIN runs AS r ON r.run_id = v.run_id GROUP BY r.run_date")
    assert len(audit) == 3 and (audit["n"] > 10).all()
    leads = read(url, "SELECT count(*) AS n FROM leads")["n"][0]
    funnel = read(url, "SELECT value, leads, mqls FROM funnel_metrics WHERE dimension = 'day' ORDER BY value")
    assert funnel["value"].tolist() == runs["run_date"].astype(str).str[:10].tolist()
    assert funnel["leads"].sum() == leads and funnel["mqls"].sum() > 0

    # The artifacts: progress at 100 %, a summary per day, stage tables.
    artifacts = server.post("/artifacts/filter", {})
    by_key: dict[str, list[dict]] = {}
    for artifact in artifacts:
        by_key.setdefault(artifact["key"], []).append(artifact)
    (progress,) = [a for a in by_key["mql-backfill-progress"] if a["flow_run_id"] == run["id"]]
    assert progress["data"] == 100.0 and "3 of 3 dates done" in progress["description"]
    summaries = by_key["mql-run-summary"]
    assert len(summaries) == 3 and len(by_key["mql-run-stages"]) == 3
    last = [a for a in summaries if f"# MQL run {LAST_DAY}" in a["data"]]
    assert len(last) == 1 and "## Rejects by reason" in last[0]["data"]
    assert f"Data Docs: `{work}" in last[0]["data"] or "Data Docs: not built" in last[0]["data"]
    (tmp_path / "summary.md").write_text(last[0]["data"])
    print(f"\n--- run summary artifact ({LAST_DAY}) ---\n{last[0]['data']}")

    # A nightly run scheduled for 00:30 in Berlin (still the day before in UTC) scores the day
    # before in Berlin: the deployment's MQL_TIMEZONE reaches the run.
    scheduled = f"{LAST_DAY + timedelta(days=2)}T00:30:00+01:00"
    run_nightly = server.post(f"/deployments/{nightly['id']}/create_flow_run", {
        "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": scheduled}}})
    final = wait_for(server, run_nightly["id"])
    assert final["state_type"] == "COMPLETED", final["state"]["message"]
    assert final["name"] == f"nightly {LAST_DAY + timedelta(days=1)}"
    latest = read(url, "SELECT run_date, status FROM runs ORDER BY started_at DESC")
    assert str(latest["run_date"][0])[:10] == str(LAST_DAY + timedelta(days=1)) and latest["status"][0] == "succeeded"

    # `mql status` reads the same audit rows.
    result = CliRunner().invoke(app, ["status", "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert result.output.count("succeeded") == 4 and str(LAST_DAY + timedelta(days=1)) in result.output

    check_deployment_page(server, backfill, run, tmp_path)
    print(f"\nreal-server backfill test: {time.monotonic() - started:.1f} s after the server was up")


def test_serve_takes_schedules_and_limits_from_prefect_yaml():
    """deployments/serve.py builds its deployments from prefect.yaml, so the two cannot drift: no
    schedule is written in serve.py, and what it serves is what prefect.yaml declares."""
    import importlib.util
    import re

    import yaml

    source = (ROOT / "deployments" / "serve.py").read_text()
    assert not re.search(r"Cron\(\s*[\"']", source) and "30 2" not in source, "a schedule written in serve.py"
    spec = importlib.util.spec_from_file_location("mql_serve", ROOT / "deployments" / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    declared = {d["name"]: d for d in yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())["deployments"]}
    served = {d.name: d for d in serve.deployments()}
    assert set(served) == set(declared) == {"nightly", "backfill"}
    for name, spec_ in declared.items():
        d = served[name]
        assert d.entrypoint.split(":")[1] == spec_["entrypoint"].split(":")[1]  # the same flow
        assert d.tags == spec_["tags"] and d.concurrency_limit == spec_["concurrency_limit"]
        assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules or []] == [
            (s["cron"], s["timezone"], s["active"]) for s in spec_.get("schedules", [])]
    assert [s.schedule.cron for s in served["nightly"].schedules] == ["30 2 * * *"]


def chromedriver() -> str:
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (Path(CHROMIUM).exists() and Path(driver).exists()):
        message = (f"headless Chromium or its driver not found ({CHROMIUM}, {driver}): "
                   "apt-get install -y chromium chromium-driver")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return driver


def check_deployment_page(server: Server, deployment: dict, run: dict, tmp_path: Path) -> None:
    """The UI's page of the backfill deployment lists the deployment and its run; the screenshot is
    taken once the run is on the page (WebDriver over HTTP, no client library needed)."""
    driver_port = free_port()
    driver = subprocess.Popen([chromedriver(), f"--port={driver_port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    webdriver = f"http://127.0.0.1:{driver_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(webdriver + "/status", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "chromedriver did not start"
                time.sleep(0.3)
        options = {"binary": CHROMIUM, "args": [*CHROMIUM_FLAGS, "--window-size=1400,1000",
                                                 f"--user-data-dir={tmp_path / 'chromium-profile'}"]}
        session = httpx.post(webdriver + "/session", timeout=60, json={
            "capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}).json()["value"]["sessionId"]
        base = f"{webdriver}/session/{session}"
        page = f"{server.url}/deployments/deployment/{deployment['id']}"
        httpx.post(base + "/url", json={"url": page}, timeout=60).raise_for_status()
        flow_run_name = server.get(f"/flow_runs/{run['id']}")["name"]
        deadline = time.monotonic() + 60
        while True:
            source = httpx.get(base + "/source", timeout=30).json()["value"]
            if flow_run_name in source and "mql-backfill" in source and "Completed" in source:
                break
            assert time.monotonic() < deadline, f"run {flow_run_name} not shown on {page}:\n{source[-2000:]}"
            time.sleep(1)
        assert ">backfill<" in source  # the deployment's name in the page header
        shots = Path(os.environ.get("MQL_TEST_ARTIFACTS_DIR") or tmp_path / "screenshots")
        shots.mkdir(parents=True, exist_ok=True)

        def screenshot(name: str) -> None:
            shot = shots / name
            shot.write_bytes(base64.b64decode(httpx.get(base + "/screenshot", timeout=60).json()["value"]))
            assert shot.stat().st_size > 10_000

        screenshot("backfill-deployment-page.png")
        submit_custom_run_form(server, deployment, base, page, screenshot)
        httpx.delete(base, timeout=30)
    finally:
        stop(driver)


def submit_custom_run_form(server: Server, deployment: dict, base: str, page: str, screenshot) -> None:
    """The backfill's Custom run form as a person uses it: both dates picked in the date inputs (typed
    as the en-US picker takes them), every optional field left empty, Submit. The run starts with
    those dates and the optional fields empty, and completes."""
    day = LAST_DAY + timedelta(days=1)  # the latest loaded date: a short re-run
    before = {r["id"] for r in server.post("/flow_runs/filter", {})}
    httpx.post(base + "/url", json={"url": page + "/run"}, timeout=60).raise_for_status()

    def elements(css: str) -> list[str]:
        deadline = time.monotonic() + 60
        while True:
            found = httpx.post(base + "/elements", json={"using": "css selector", "value": css}, timeout=30)
            ids = [next(iter(e.values())) for e in found.json()["value"]]
            if ids:
                return ids
            assert time.monotonic() < deadline, f"no {css} on {page}/run"
            time.sleep(0.5)

    dates = elements("input[type=date]")
    assert len(dates) == 2  # start_date and end_date: date pickers
    for element in dates:
        httpx.post(f"{base}/element/{element}/value", json={"text": f"{day:%m%d%Y}"}, timeout=30).raise_for_status()
        value = httpx.get(f"{base}/element/{element}/property/value", timeout=30).json()["value"]
        assert value == str(day)
    screenshot("backfill-custom-run-form.png")
    (submit,) = [b for b in elements("button")
                 if httpx.get(f"{base}/element/{b}/text", timeout=30).json()["value"].strip() == "Submit"]
    httpx.post(f"{base}/element/{submit}/click", json={}, timeout=30).raise_for_status()
    deadline = time.monotonic() + 60
    clicked = time.monotonic()
    while not (made := [r for r in server.post("/flow_runs/filter", {"flow_runs": {
            "deployment_id": {"any_": [deployment["id"]]}}}) if r["id"] not in before]):
        text = re.sub(r"<[^>]+>", " ", httpx.get(base + "/source", timeout=30).json()["value"])
        assert time.monotonic() < deadline, f"Submit made no run; the form says: {text[-1500:]}"
        still_form = httpx.get(base + "/url", timeout=30).json()["value"].rstrip("/").endswith("/run")
        if still_form and time.monotonic() - clicked > 15:  # a click the loaded page's form missed
            httpx.post(f"{base}/element/{submit}/click", json={}, timeout=30)
            clicked = time.monotonic()
        time.sleep(1)
    (run,) = made
    assert run["parameters"]["start_date"] == run["parameters"]["end_date"] == str(day)
    assert all(run["parameters"].get(name, "") == "" for name in ("extracts_dir", "warehouse_url", "model_path"))
    final = wait_for(server, run["id"])
    assert final["state_type"] == "COMPLETED", final["state"]["message"]
    assert final["name"] == f"backfill {day}..{day}"


def test_every_flow_parameter_has_a_description_for_the_ui():
    from prefect.utilities.callables import parameter_schema

    from flows.nightly import backfill, nightly

    for flow in (nightly, backfill):
        properties = parameter_schema(flow.fn).model_dump()["properties"]
        assert properties, flow.name
        missing = [name for name, schema in properties.items() if not schema.get("description")]
        assert missing == [], (flow.name, missing)
    assert parameter_schema(nightly.fn).model_dump()["properties"]["run_date"]["description"].startswith(
        "The date to score")


def test_optional_parameters_are_plain_fields_in_the_run_form():
    """An optional parameter's schema is its type alone (the UI's form shows a plain field, not a
    choice of types with "Property is type 'None'"); Prefect's server accepts it left out or empty."""
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.schema_tools.validation import validate

    from flows.nightly import backfill, nightly

    for flow in (nightly, backfill):
        schema = parameter_schema(flow.fn).model_dump()
        for name, prop in schema["properties"].items():
            assert "anyOf" not in prop and "null" not in str(prop.get("type")), (flow.name, name, prop)
        # What the server checks when a run is created from the deployment's form.
        assert validate({"extracts_dir": "", "model_path": "config/scoring_model.yaml"}, schema,
                        ignore_required=True) == []
        assert validate({"extracts_dir": 3}, schema, ignore_required=True) != []
        # The form prefills each field with its default and refuses a null one: text fields default
        # to empty text, which means the setting's default.
        for name in ("extracts_dir", "warehouse_url", "model_path"):
            assert schema["properties"][name]["default"] == "", (flow.name, name)
    nightly_schema = parameter_schema(nightly.fn).model_dump()["properties"]
    assert nightly_schema["run_date"]["type"] == "string" and nightly_schema["run_date"]["format"] == "date"


def run_log(server: Server, flow_run_id: str, ending_with: str | None = None, after: str = "",
            timeout: float = 30) -> list[str]:
    """The flow run's log lines in the API, oldest first; with `ending_with`, once its last line is that
    and follows a line containing `after` (lines logged as the process exits arrive a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [log["message"] for log in server.post("/logs/filter", {
            "logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_ASC"})]
        if ending_with is None or (lines[-1:] == [ending_with] and any(after in line for line in lines)):
            return lines
        assert time.monotonic() < deadline, f"the run's log does not end with {ending_with!r}: {lines[-4:]}"
        time.sleep(0.5)


class Receiver:
    """A local HTTP endpoint standing in for a chat or paging webhook: it keeps every JSON body posted."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/alert"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def wait_for(self, text: str, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = [body for body in self.received if text in body["body"]]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no alert with {text!r} in {timeout} s; received {self.received}"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def alerting(server: Server, deployed: dict) -> Iterator[Receiver]:
    """The runbook's alert step: a webhook block calling a local receiver, then the automations of
    deployments/automations.yaml created by deployments/automations.py."""
    receiver = Receiver()
    try:
        save = ("from prefect.blocks.notifications import CustomWebhookNotificationBlock as Hook; "
                f"Hook(name='mql', url='{receiver.url}', allow_private_urls=True, "
                "json_data={'subject': '{{subject}}', 'body': '{{body}}'}).save('mql-alerts', overwrite=True)")
        subprocess.run([sys.executable, "-c", save], cwd=ROOT, env=server.env, check=True, timeout=120)
        made = subprocess.run([sys.executable, "deployments/automations.py"], cwd=ROOT, env=server.env,
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        yield receiver
    finally:
        receiver.http.shutdown()


@pytest.mark.server
def test_a_failed_night_and_an_anomaly_alert_through_the_automations(server, alerting):
    """On the real server, a nightly run that fails and one whose anomaly check fires (the worker's
    monitoring config fires on any change of MQL rate) each make their automation call the receiver."""
    receiver = alerting
    names = {a["name"] for a in server.post("/automations/filter", {}) if a["enabled"]}
    assert names == {"mql night failed", "mql night anomaly", "mql night crashed"}
    nightly = {d["name"]: d for d in server.post("/deployments/filter", {})}["nightly"]

    # A night without extracts fails: the state message is the one line; its log holds the line
    # as soon as the run shows as failed, ends with it once the process has exited, and holds no
    # traceback.
    missing = LAST_DAY + timedelta(days=10)
    run = server.post(f"/deployments/{nightly['id']}/create_flow_run", {"parameters": {"run_date": str(missing)}})
    final = wait_for(server, run["id"])
    assert final["state_type"] == "FAILED" and final["name"] == f"nightly {missing}"
    message = final["state"]["message"]
    assert message.startswith(f"no extract folder for {missing}: ") and "\n" not in message
    logs = run_log(server, run["id"])
    assert message in logs
    assert any(f"Beginning flow run 'nightly {missing}'" in line for line in logs[:logs.index(message)])
    logs = run_log(server, run["id"], ending_with=message, after="Finished in state Failed")
    assert logs[-1] == message and not any("Traceback" in line for line in logs)
    alert = receiver.wait_for(f"MQL night {missing} failed")
    assert alert == {"subject": f"MQL night {missing} failed at extract",
                     "body": f"MQL night {missing} failed at stage extract: {message}"}

    # Re-running the latest loaded night fires its anomaly check (results written, run completed).
    latest = LAST_DAY + timedelta(days=1)
    run = server.post(f"/deployments/{nightly['id']}/create_flow_run", {"parameters": {"run_date": str(latest)}})
    assert wait_for(server, run["id"])["state_type"] == "COMPLETED"
    alert = receiver.wait_for(f"MQL night {latest} anomaly")
    assert alert["subject"] == f"MQL night {latest}: anomaly"
    assert "stage monitor: mql_rate " in alert["body"] and "is outside its baseline" in alert["body"]


def run_processes(flow_run_id: str) -> list[int]:
    """The processes of this machine that run the flow run (the worker hands each its id in
    PREFECT__FLOW_RUN_ID)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode() in (
                    proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:  # gone meanwhile, or not ours to read
            pass
    return found


@pytest.mark.server
def test_a_crashed_night_alerts_through_the_automation(server, alerting):
    """A nightly run whose process is killed (here while it waits for late extracts) is marked
    Crashed by the worker, and the crash automation calls the receiver with the run's name."""
    started = time.monotonic()
    nightly = {d["name"]: d for d in server.post("/deployments/filter", {})}["nightly"]
    waiting = LAST_DAY + timedelta(days=20)
    run = server.post(f"/deployments/{nightly['id']}/create_flow_run", {
        "parameters": {"run_date": str(waiting)},
        "job_variables": {"env": {"MQL_EXTRACTS_WAIT_SECONDS": "300", "MQL_EXTRACTS_POLL_SECONDS": "1"}}})
    deadline = time.monotonic() + 120
    while not (pids := run_processes(run["id"])) or server.get(f"/flow_runs/{run['id']}")["state_type"] != "RUNNING":
        assert time.monotonic() < deadline, "the nightly run did not start in 120 s"
        time.sleep(0.5)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    final = wait_for(server, run["id"], timeout=60)
    assert final["state_type"] == "CRASHED" and final["name"] == f"nightly {waiting}"
    alert = alerting.wait_for(f"MQL run nightly {waiting} crashed")
    assert alert["subject"] == f"MQL run nightly {waiting} crashed"
    assert alert["body"].startswith(f"MQL run nightly {waiting} crashed: ")
    assert final["state"]["message"] in alert["body"]
    print(f"\ncrash alert: {time.monotonic() - started:.1f} s from the run's creation")
