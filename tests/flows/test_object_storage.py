"""Extracts in object storage: a real S3 API (moto's threaded server, started and stopped by the `s3`
fixture of tests/conftest.py),
with IAM enforced, read through s3fs with the credentials in the environment. A day's files are
read as from a local folder; a backfill runs from the bucket; a missing bucket, a missing date
folder and a denied key fail in one line with exit 2, the warehouse unchanged; the secret key
reaches no surface."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from datetime import timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.intake.extract import read_extract
from tasks.intake.location import open_location, scrub, shown_location
from tests.conftest import BUCKET, FIRST_DAY, read_sql
from tests.flows.test_secrets import canary, surfaces_holding  # noqa: F401  (canary is a fixture)

pytestmark = pytest.mark.usefixtures("prefect_api")
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(3)]
def test_a_day_is_read_from_a_bucket_as_from_a_folder(as_user, generated):
    as_user("reader")
    remote = read_extract(f"s3://{BUCKET}/extracts", DAYS[0])
    local = read_extract(generated, DAYS[0])
    assert set(remote.frames) == set(local.frames)
    for name, frame in local.frames.items():
        pd.testing.assert_frame_equal(remote.frames[name], frame, obj=name)
    assert remote.files["leads"] == f"s3://{BUCKET}/extracts/{DAYS[0]}/leads.csv"


def test_locations_are_shown_without_credentials(monkeypatch):
    assert shown_location("s3://AKIA:wJalr@bucket/extracts?token=abc") == "s3://bucket/extracts"
    assert shown_location("/data/extracts") == "/data/extracts"
    assert open_location("file:///data/extracts").local
    monkeypatch.setenv("AZURE_STORAGE_KEY", "very-secret-value")
    assert scrub("denied with very-secret-value") == "denied with ***"


def test_a_backfill_runs_from_a_bucket_and_bad_locations_fail_in_one_line(canary, as_user, generated):
    """On PostgreSQL (the canary warehouse): the secret key is searched on every surface."""
    url, schema = canary["url"], canary["schema"]
    runner = CliRunner()
    secret = as_user("reader")
    location = f"s3://{BUCKET}/extracts"
    ok = runner.invoke(app, ["backfill", "--start", str(DAYS[0]), "--end", str(DAYS[2]), "--extracts", location,
                             "--warehouse", url])
    assert ok.exit_code == 0, ok.output
    runs = read_sql(canary["plain_url"], "SELECT run_date, status, parameters FROM runs ORDER BY run_date", schema)
    assert runs[["run_date", "status"]].astype(str).values.tolist() == [
        [str(DAYS[0]), "succeeded"], [str(DAYS[1]), "no_data"], [str(DAYS[2]), "succeeded"]]
    assert all(f'"extracts_dir": "{location}"' in p for p in runs["parameters"])
    leads = read_sql(canary["plain_url"], "SELECT count(*) AS n FROM leads", schema)["n"][0]
    assert leads > 0

    def fails(args: list[str], expected: str) -> str:
        before = read_sql(canary["plain_url"], "SELECT count(*) AS n FROM runs WHERE status <> 'failed'", schema)
        result = runner.invoke(app, [*args, "--warehouse", url])
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip() and "━" not in line]
        assert lines == [expected], result.output
        after = read_sql(canary["plain_url"], "SELECT count(*) AS n FROM runs WHERE status <> 'failed'", schema)
        assert after["n"][0] == before["n"][0]
        assert read_sql(canary["plain_url"], "SELECT count(*) AS n FROM leads", schema)["n"][0] == leads
        return result.output

    outputs = {"backfill": ok.output}
    outputs["missing bucket"] = fails(
        ["backfill", "--start", str(DAYS[0]), "--end", str(DAYS[2]), "--extracts", "s3://no-such-bucket/extracts"],
        "error: extracts location s3://no-such-bucket/extracts: does not exist (no such bucket or folder)")
    outputs["missing date"] = fails(
        ["run", "--date", str(DAYS[1]), "--extracts", location],
        f"error: no extract folder for {DAYS[1]}: {location}/{DAYS[1]} does not exist")
    stranger_secret = as_user("stranger")
    outputs["denied key"] = fails(
        ["run", "--date", str(DAYS[2]), "--extracts", location],
        f"error: extracts location {location}: access denied (check the credentials in the environment)")
    for text in (secret, stranger_secret):
        assert surfaces_holding(text, canary, outputs) == []
    # The search reaches the surfaces: the location itself is found where it is shown.
    found = surfaces_holding(location, canary, outputs, file_bytes=False)
    assert "warehouse table runs" in found and "CLI output of missing date" in found


def test_a_local_folder_given_as_a_file_url_is_read_in_place(in_schema, generated, tmp_path):
    url, schema = in_schema
    extracts = tmp_path / "extracts"
    shutil.copytree(generated / str(DAYS[0]), extracts / str(DAYS[0]))
    result = CliRunner().invoke(app, ["run", "--date", str(DAYS[0]), "--extracts", f"file://{extracts}",
                                      "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert read_sql(url, "SELECT status FROM runs", schema)["status"].tolist() == ["succeeded"]


def test_reports_dashboard_and_data_docs_are_copied_to_a_bucket(as_user, generated, tmp_path, monkeypatch):
    """MQL_REPORTS_DIR as an s3:// URL: every page a nightly run writes (its report, its Data Docs,
    the dashboard) is in the bucket at the same path as in the local working copy beside the
    warehouse, so that the pages' relative links work there; a key that may not write only warns."""
    import s3fs

    from flows.nightly import nightly

    as_user("reader")
    monkeypatch.delenv("MQL_DATA_DOCS_DIR", raising=False)
    monkeypatch.setenv("MQL_REPORTS_DIR", f"s3://{BUCKET}/reports")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    first = nightly(run_date=DAYS[0], extracts_dir=str(generated), warehouse_url=url)
    assert first.status == "succeeded"
    local = tmp_path / "w-reports"
    report = Path(first.report_path)
    docs = Path(read_sql(url, "SELECT data_docs_path FROM runs")["data_docs_path"][0])
    assert report.is_relative_to(local) and docs.is_relative_to(local / "data_docs")
    pages = [report, *sorted(docs.parent.glob("*.html")), local / "dashboard.html"]
    assert len(pages) == 6  # the report, Data Docs' index and three suites, the dashboard
    bucket = s3fs.S3FileSystem(skip_instance_cache=True)
    for page in pages:
        key = f"{BUCKET}/reports/{page.relative_to(local).as_posix()}"
        assert bucket.cat_file(key) == page.read_bytes(), key
    assert f"{BUCKET}/reports/{DAYS[0]}/{first.run_id}.html" in bucket.find(f"{BUCKET}/reports")

    as_user("stranger")  # may not write: the run succeeds and its pages stay in the working copy
    second = nightly(run_date=DAYS[0], extracts_dir=str(generated), warehouse_url=url)
    assert second.status == "succeeded" and Path(second.report_path).is_file()
    as_user("reader")
    bucket = s3fs.S3FileSystem(skip_instance_cache=True)
    assert f"{BUCKET}/reports/{DAYS[0]}/{second.run_id}.html" not in bucket.find(f"{BUCKET}/reports")


@pytest.mark.postgres
def test_credentials_from_a_secret_block_open_the_bucket_and_reach_no_surface(canary, s3, as_user, monkeypatch):
    """MQL_STORAGE_BLOCK: a Prefect Secret block holds s3fs's options (keys and endpoint); the
    environment's keys (a user allowed nothing) are not used. The night reads its extracts and writes
    its export with them, as does `mql export`; a block whose key is refused, or that holds no
    options, fails in one line; no key of either reaches a surface."""
    import boto3
    from prefect.blocks.system import Secret

    url, runner, location = canary["url"], CliRunner(), f"s3://{BUCKET}/extracts"
    as_user("stranger")
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the block names the endpoint
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    key_id, secret = s3["keys"]["reader"]
    endpoint = {"endpoint_url": s3["endpoint"], "region_name": "us-east-1"}
    block = "mql-storage-" + uuid.uuid4().hex[:8]
    Secret(value={"key": key_id, "secret": secret, "client_kwargs": endpoint}).save(block)
    monkeypatch.setenv("MQL_STORAGE_BLOCK", block)
    monkeypatch.setenv("MQL_EXPORT_TO", f"s3://{BUCKET}/block-exports")
    outputs = {"run": runner.invoke(app, ["run", "--date", str(DAYS[0]), "--extracts", location, "--warehouse", url])}
    assert outputs["run"].exit_code == 0, outputs["run"].output
    outputs["export"] = runner.invoke(app, ["export", "--date", str(DAYS[0]), "--to", f"s3://{BUCKET}/block-cli",
                                            "--format", "csv", "--warehouse", url])
    assert outputs["export"].exit_code == 0, outputs["export"].output
    bucket = boto3.client("s3", aws_access_key_id=key_id, aws_secret_access_key=secret, **endpoint)
    names = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"] if "block-" in o["Key"])
    assert names == [f"block-cli/handoffs_{DAYS[0]}.csv", f"block-exports/handoffs_{DAYS[0]}.parquet"]
    runs = read_sql(canary["plain_url"], "SELECT status, parameters FROM runs", canary["schema"])
    assert runs["status"].tolist() == ["succeeded"] and f'"extracts_dir": "{location}"' in runs["parameters"][0]

    refused = "CANARYSTORAGE" + uuid.uuid4().hex  # a key the server does not know
    Secret(value=json.dumps({"key": "AKIAUNKNOWN0000", "secret": refused, "client_kwargs": endpoint})).save(
        block + "-refused")
    Secret(value="not options").save(block + "-text")
    for name, expected in (
            ("-refused", f"error: extracts location {location}: access denied (check the credentials in the "
                         "storage options)"),
            ("-text", f"error: MQL_STORAGE_BLOCK: the Secret block '{block}-text' does not hold a JSON object of "
                      'storage options (for s3://, {"key": ..., "secret": ..., "client_kwargs": {...}})')):
        monkeypatch.setenv("MQL_STORAGE_BLOCK", block + name)
        failed = runner.invoke(app, ["run", "--date", str(DAYS[2]), "--extracts", location, "--warehouse", url])
        assert failed.exit_code == 2, failed.output
        assert [line for line in failed.output.splitlines() if line.startswith("error:")] == [expected]
        outputs[name] = failed.output
    assert read_sql(canary["plain_url"], "SELECT count(*) AS n FROM runs WHERE status = 'succeeded'",
                    canary["schema"])["n"][0] == 1
    texts = {name: result if isinstance(result, str) else result.output for name, result in outputs.items()}
    for text in (secret, refused):
        assert surfaces_holding(text, canary, texts) == []
