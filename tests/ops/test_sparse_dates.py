"""Sparse and late dates: a backfill runs the dates that have extracts and records the others as
`no_data` (or refuses the range with --missing fail); a night without extracts fails in one line,
or waits for them as long as MQL_EXTRACTS_WAIT_SECONDS says. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill, nightly
from tasks.errors import ExtractError
from tests.conftest import FIRST_DAY, read_sql
from tests.ops.test_backfill_flow import artifacts, latest

pytestmark = pytest.mark.usefixtures("prefect_api")
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(5)]


def runs(url: str, schema: str) -> list[list[str]]:
    frame = read_sql(url, "SELECT run_date, status FROM runs ORDER BY run_date, started_at", schema)
    return frame.astype(str).values.tolist()


def error_lines(output: str) -> list[str]:
    """The output's lines but the progress bar's (on stderr, which the CLI runner mixes in)."""
    return [line for line in output.splitlines() if line.strip() and "━" not in line]


def lead_count(url: str, schema: str) -> int:
    return int(read_sql(url, "SELECT count(*) AS n FROM leads", schema)["n"][0])


@pytest.fixture
def sparse(generated: Path, tmp_path: Path) -> Path:
    """Extracts for days 1, 3 and 5 of five; days 2 and 4 have none."""
    out = tmp_path / "extracts"
    for day in (DAYS[0], DAYS[2], DAYS[4]):
        shutil.copytree(generated / str(day), out / str(day))
    return out


def test_a_sparse_backfill_runs_the_dates_with_extracts_and_records_the_others(in_schema, sparse):
    url, schema = in_schema
    result = CliRunner().invoke(app, ["backfill", "--start", str(DAYS[0]), "--end", str(DAYS[4]),
                                      "--extracts", str(sparse), "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert runs(url, schema) == [[str(DAYS[0]), "succeeded"], [str(DAYS[1]), "no_data"], [str(DAYS[2]), "succeeded"],
                                 [str(DAYS[3]), "no_data"], [str(DAYS[4]), "succeeded"]]
    errors = read_sql(url, "SELECT error FROM runs WHERE status = 'no_data' ORDER BY run_date", schema)["error"]
    assert errors.tolist() == [f"no extract folder for {d}: {sparse / str(d)} does not exist" for d in (DAYS[1], DAYS[3])]
    assert result.output.count("no data (no extracts)") == 2
    # The dates that ran are loaded, one after the other (day 3 built on day 1).
    loaded = read_sql(url, "SELECT DISTINCT run_date FROM lead_scores ORDER BY run_date", schema)
    assert loaded["run_date"].astype(str).tolist() == [str(DAYS[0]), str(DAYS[2]), str(DAYS[4])]
    assert lead_count(url, schema) > 0


def test_missing_fail_refuses_the_range_and_writes_nothing_but_its_audit_row(in_schema, sparse):
    url, schema = in_schema
    result = CliRunner().invoke(app, ["backfill", "--start", str(DAYS[0]), "--end", str(DAYS[4]),
                                      "--extracts", str(sparse), "--warehouse", url, "--missing", "fail"])
    assert result.exit_code == 2, result.output
    assert error_lines(result.output) == [f"error: no extract folder for {DAYS[1]}: {sparse / str(DAYS[1])} does not exist "
                     f"(and 1 more date(s) from {DAYS[0]} to {DAYS[4]} without extracts; --missing skip records "
                     "them as no_data and runs the others)"]
    assert runs(url, schema) == [[str(DAYS[1]), "failed"]]
    assert lead_count(url, schema) == 0


def test_a_range_without_any_extracts_and_a_bad_missing_value_are_one_line(in_schema, tmp_path):
    url, schema = in_schema
    empty = tmp_path / "none"
    empty.mkdir()
    cases = [([], f"error: no extracts for any date from {DAYS[0]} to {DAYS[1]} in {empty}"),
             (["--missing", "later"], "error: --missing must be one of skip, fail, not 'later'")]
    for extra, expected in cases:
        result = CliRunner().invoke(app, ["backfill", "--start", str(DAYS[0]), "--end", str(DAYS[1]),
                                          "--extracts", str(empty), "--warehouse", url, *extra])
        assert result.exit_code == 2, result.output
        assert error_lines(result.output) == [expected]
    assert runs(url, schema) == []


def test_the_backfill_flow_skips_by_default_and_its_dry_run_shows_no_data(in_schema, sparse):
    url, schema = in_schema
    checked = backfill(start_date=DAYS[0], end_date=DAYS[2], extracts_dir=str(sparse), warehouse_url=url,
                       dry_run=True)
    assert [s.status for s in checked] == ["dry-run ok", "no_data", "dry-run ok"]
    assert runs(url, schema) == []
    state = backfill(start_date=DAYS[0], end_date=DAYS[2], extracts_dir=str(sparse), warehouse_url=url,
                     return_state=True)
    assert [s.status for s in state.result()] == ["succeeded", "no_data", "succeeded"]
    # The run's page: its per-date table says so too.
    table = latest(artifacts("mql-backfill-results"), state.state_details.flow_run_id)
    assert [(r["run date"], r["result"]) for r in table] == [
        (str(DAYS[0]), "succeeded"), (str(DAYS[1]), "no_data"), (str(DAYS[2]), "succeeded")]
    assert table[1]["error"].startswith(f"no extract folder for {DAYS[1]}") and table[1]["leads_in"] == ""
    with pytest.raises(ExtractError, match=f"^no extract folder for {DAYS[1]}"):
        backfill(start_date=DAYS[0], end_date=DAYS[2], extracts_dir=str(sparse), warehouse_url=url, missing="fail")


def test_a_loaded_date_whose_extracts_are_gone_is_not_skipped(in_schema, sparse):
    """Re-running before a loaded date re-runs it; without its extracts that fails, naming it, and
    nothing changes."""
    url, schema = in_schema
    backfill(start_date=DAYS[0], end_date=DAYS[2], extracts_dir=str(sparse), warehouse_url=url)
    before = lead_count(url, schema)
    shutil.rmtree(sparse / str(DAYS[2]))
    with pytest.raises(ExtractError, match=f"no extract folder for {DAYS[2]}.*nothing was changed"):
        backfill(start_date=DAYS[0], end_date=DAYS[0], extracts_dir=str(sparse), warehouse_url=url)
    assert lead_count(url, schema) == before
    assert [r[1] for r in runs(url, schema) if r[0] == str(DAYS[2])] == ["succeeded"]


def test_a_night_without_extracts_fails_in_one_line_or_waits_for_them(in_schema, generated, tmp_path, monkeypatch):
    url, schema = in_schema
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    with pytest.raises(ExtractError) as caught:
        nightly(run_date=DAYS[0], extracts_dir=str(extracts), warehouse_url=url)
    assert str(caught.value) == f"no extract folder for {DAYS[0]}: {extracts / str(DAYS[0])} does not exist"

    monkeypatch.setenv("MQL_EXTRACTS_WAIT_SECONDS", "1")
    monkeypatch.setenv("MQL_EXTRACTS_POLL_SECONDS", "0.2")
    with pytest.raises(ExtractError) as caught:
        nightly(run_date=DAYS[0], extracts_dir=str(extracts), warehouse_url=url)
    assert str(caught.value).endswith("does not exist (waited 1 s, MQL_EXTRACTS_WAIT_SECONDS)")
    assert runs(url, schema) == [[str(DAYS[0]), "failed"], [str(DAYS[0]), "failed"]]

    # A loader that lands late: the extracts appear while the run waits, and it runs them.
    monkeypatch.setenv("MQL_EXTRACTS_WAIT_SECONDS", "60")
    landing = threading.Timer(1.0, shutil.copytree, (generated / str(DAYS[0]), extracts / str(DAYS[0])))
    landing.start()
    try:
        summary = nightly(run_date=DAYS[0], extracts_dir=str(extracts), warehouse_url=url)
    finally:
        landing.join()
    assert summary.status == "succeeded" and lead_count(url, schema) > 0
