"""Hand-offs: each run date's new MQLs and stage moves in `handoffs` (view `lead_handoffs`), exported
by the nightly run when MQL_EXPORT_TO is set and by `mql export`, to a folder or to S3 (moto's
server); re-running a date rewrites its export. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill
from tests.conftest import BUCKET, FIRST_DAY, read_sql

pytestmark = pytest.mark.usefixtures("prefect_api")
DAYS = [FIRST_DAY, FIRST_DAY + timedelta(days=1)]


def view(url: str, schema: str, day) -> pd.DataFrame:
    return read_sql(url, "SELECT * FROM lead_handoffs WHERE run_date = :d ORDER BY lead_id", schema, d=day)


def exported(url: str, schema: str) -> list[list[object]]:
    """The handoff_exports rows, oldest first: date, location, format, rows, checksum, by."""
    rows = read_sql(url, "SELECT run_date, location, file_format, row_count, checksum, exported_by, exported_at "
                         "FROM handoff_exports ORDER BY exported_at, run_date", schema)
    return [[str(r[0])[:10], *r[1:6]] for r in rows.values.tolist()]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def one_line(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip() and "━" not in line]


@pytest.fixture
def two_days(generated: Path, tmp_path: Path) -> Path:
    out = tmp_path / "extracts"
    for day in DAYS:
        shutil.copytree(generated / str(day), out / str(day))
    return out


def test_the_nightly_run_exports_each_dates_handoffs_and_a_rerun_rewrites_them(in_schema, two_days, tmp_path,
                                                                              monkeypatch):
    url, schema = in_schema
    exports = tmp_path / "exports"
    monkeypatch.setenv("MQL_EXPORT_TO", str(exports))
    monkeypatch.setenv("MQL_EXPORT_FORMAT", "csv")
    summaries = backfill(start_date=DAYS[0], end_date=DAYS[1], extracts_dir=str(two_days), warehouse_url=url)
    assert sorted(p.name for p in exports.iterdir()) == [f"handoffs_{d}.csv" for d in DAYS]
    first = {}
    for summary, day in zip(summaries, DAYS):
        written = pd.read_csv(exports / f"handoffs_{day}.csv", dtype=str, keep_default_na=False)
        rows = view(url, schema, day)
        assert len(written) == len(rows) > 0
        assert written["lead_id"].tolist() == rows["lead_id"].tolist()
        assert set(written["run_date"]) == {str(day)}
        # Every new MQL the run counted is handed off, with its reasons in words.
        mqls = written[written["new_mql"] == "True"]
        assert len(mqls) == summary.counts["qualify"]["new_mqls"] > 0
        assert (mqls["to_stage"] == "mql").all() and mqls["reasons"].str.contains(r"\+\d").all()
        assert written["source_system"].ne("").all() and written["email"].ne("").any()
        first[day] = written
    # Re-running the first date replaces both dates' rows and rewrites both exports, no duplicates.
    result = CliRunner().invoke(app, ["run", "--date", str(DAYS[0]), "--extracts", str(two_days), "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in exports.iterdir()) == [f"handoffs_{d}.csv" for d in DAYS]
    for day in DAYS:
        again = pd.read_csv(exports / f"handoffs_{day}.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(again, first[day])
    counts = read_sql(url, "SELECT run_date, count(*) AS n FROM handoffs GROUP BY run_date ORDER BY run_date", schema)
    assert counts["n"].tolist() == [len(first[d]) for d in DAYS]
    # Each export is recorded: the nights', then the re-run's of both dates (the same files again).
    files = {d: (str(exports / f"handoffs_{d}.csv"), sha256((exports / f"handoffs_{d}.csv").read_bytes()))
             for d in DAYS}
    assert exported(url, schema) == [[str(d), files[d][0], "csv", len(first[d]), files[d][1], "nightly"]
                                     for d in DAYS + DAYS]


def test_mql_export_writes_parquet_to_s3_and_bad_requests_are_one_line(in_schema, two_days, as_user, tmp_path):
    url, schema = in_schema
    backfill(start_date=DAYS[0], end_date=DAYS[0], extracts_dir=str(two_days), warehouse_url=url)
    as_user("reader")
    runner = CliRunner()
    target = f"s3://{BUCKET}/exports"
    for _ in range(2):  # a second export of the date replaces the first
        result = runner.invoke(app, ["export", "--date", str(DAYS[0]), "--to", target, "--warehouse", url])
        assert result.exit_code == 0, result.output
        assert f"{target}/handoffs_{DAYS[0]}.parquet" in result.output
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    assert fs.ls(f"{BUCKET}/exports", detail=False) == [f"{BUCKET}/exports/handoffs_{DAYS[0]}.parquet"]
    written = pd.read_parquet(io.BytesIO(fs.cat_file(f"{BUCKET}/exports/handoffs_{DAYS[0]}.parquet")))
    rows = view(url, schema, DAYS[0])
    assert written["lead_id"].tolist() == rows["lead_id"].tolist()
    assert written["new_mql"].dtype == bool and written["total_score"].tolist() == rows["total_score"].tolist()
    assert isinstance(written["changed_at"].dtype, pd.DatetimeTZDtype) and str(written["changed_at"].dt.tz) == "UTC"
    # Both exports recorded, with the file's checksum; the location never holds a credential.
    record = [str(DAYS[0]), f"{target}/handoffs_{DAYS[0]}.parquet", "parquet", len(rows),
              sha256(fs.cat_file(f"{BUCKET}/exports/handoffs_{DAYS[0]}.parquet")), "mql export"]
    assert exported(url, schema) == [record, record]

    before = read_sql(url, "SELECT count(*) AS n FROM runs", schema)["n"][0]
    cases = [
        (["--date", str(DAYS[1]), "--to", str(tmp_path / "x")],
         f"error: {DAYS[1]} is not loaded in the warehouse (no succeeded run): nothing to export"),
        (["--date", str(DAYS[0]), "--to", str(tmp_path / "x"), "--format", "xml"],
         "error: --format must be parquet or csv, not 'xml'"),
        (["--date", str(DAYS[0]), "--to", "s3://no-such-bucket/exports"],
         "error: export location s3://no-such-bucket/exports/handoffs_2026-03-02.parquet: does not exist "
         "(no such bucket or folder)"),
    ]
    for args, expected in cases:
        result = runner.invoke(app, ["export", *args, "--warehouse", url])
        assert result.exit_code == 2, result.output
        assert one_line(result.output) == [expected]
    assert not (tmp_path / "x").exists()
    assert read_sql(url, "SELECT count(*) AS n FROM runs", schema)["n"][0] == before
    assert exported(url, schema) == [record, record]  # a refused export records nothing
