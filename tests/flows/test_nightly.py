"""End-to-end runs of the real flows, under a real Prefect API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill, nightly
from tasks.errors import ExtractError
from tasks.reporting.evaluate import duplicate_quality, junk_quality
from tests.conftest import FIRST_DAY, contribution_rows, drop_schema, read_sql, read_table

pytestmark = pytest.mark.usefixtures("prefect_api")
LAST_DAY = FIRST_DAY + timedelta(days=4)
# Tables whose contents a run date determines (audit tables get a new run id each run).
RESULT_TABLES = ("leads", "lead_history", "lead_identities", "lead_match_keys", "lead_scores",
                 "mql_events", "nurture_enrollments", "activities", "sales_outcomes",
                 "rejected_leads", "quarantined_rows")


def read(url: str, schema: str, sql: str, **params) -> pd.DataFrame:
    return read_sql(url, sql, schema, **params)


def snapshot(url: str, schema: str, tables=RESULT_TABLES) -> dict[str, pd.DataFrame]:
    """Every row of the given tables, in a stable order, values as text."""
    out = {}
    for table in tables:
        frame = read_table(url, table, schema)
        frame = frame.astype(str).sort_values(list(frame.columns), ignore_index=True)
        out[table] = frame
    return out


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


@pytest.fixture
def loaded(in_schema, loaded_days):
    """A warehouse with the five generated days backfilled (a copy of one backfill per session)."""
    url, schema = in_schema
    return url, schema, loaded_days(in_schema, 5)


def test_backfill_loads_every_day_and_accounts_for_every_row(loaded, generated):
    url, schema, summaries = loaded
    assert [s.status for s in summaries] == ["succeeded"] * 5
    runs = read(url, schema, "SELECT run_date, status, model_version, code_version FROM runs ORDER BY run_date")
    assert runs["status"].tolist() == ["succeeded"] * 5
    assert set(runs["model_version"]) == {"2026.11-b2b-1"}

    counts = read(url, schema, "SELECT run_date, metric, value FROM run_counts WHERE stage = 'conservation'")
    for day, group in counts.groupby("run_date"):
        c = dict(zip(group["metric"], group["value"]))
        rows_in_file = len(pd.read_csv(generated / str(day)[:10] / "leads.csv", dtype=str))
        assert c["leads_in"] == rows_in_file
        assert c["written"] + c["merged"] + c["rejected"] + c["quarantined"] == rows_in_file
        assert c["merged"] > 0 and c["rejected"] > 0 and c["quarantined"] > 0

    # Every row set aside is kept, raw, with its reasons; every other row has an identity.
    rejected = read(url, schema, "SELECT disposition, reasons, raw FROM rejected_leads")
    assert (rejected["reasons"].str.len() > 0).all()
    assert all(isinstance(json.loads(raw), dict) for raw in rejected["raw"])
    totals = counts.groupby("metric")["value"].sum()
    assert len(rejected) == totals["rejected"] + totals["quarantined"]
    identities = read(url, schema, "SELECT source_system, source_lead_id, lead_id FROM lead_identities")
    leads = read(url, schema, "SELECT lead_id, lifecycle_stage, first_mql_at, total_score FROM leads")
    assert set(identities["lead_id"]) == set(leads["lead_id"])
    assert len(leads) == totals["written"] - read(url, schema, "SELECT count(*) AS n FROM lead_identities "
                                                              "WHERE match_rule = 'source_id'")["n"][0]

    # Scores are the sum of their contributions, on every date.
    scores = read_table(url, "lead_scores", schema)
    ledger = contribution_rows(scores).groupby(["run_date", "lead_id"], as_index=False)["points"].sum()
    scores = scores[["run_date", "lead_id", "total_score"]]
    joined = scores.merge(ledger, on=["run_date", "lead_id"], how="left").fillna({"points": 0.0})
    assert (joined["total_score"] - joined["points"]).abs().max() < 1e-6

    mqls = leads[leads["lifecycle_stage"].isin(["mql", "sales_accepted", "sql", "customer"])]
    assert len(mqls) > 0 and leads.loc[leads["first_mql_at"].notna()].shape[0] >= len(mqls[mqls["lifecycle_stage"] == "mql"])
    events = read(url, schema, "SELECT to_stage, cause FROM mql_events")
    assert {"lead", "mql"} <= set(events["to_stage"]) and "score" in set(events["cause"])
    enrollments = read(url, schema, "SELECT lead_id FROM nurture_enrollments WHERE exited_run_date IS NULL")
    assert len(enrollments) > 0 and enrollments["lead_id"].is_unique

    truth = pd.read_csv(generated / "ground_truth.csv", dtype=str, keep_default_na=False)
    quality = {**duplicate_quality(truth, identities), **junk_quality(truth, read(
        url, schema, "SELECT source_system, source_lead_id, disposition FROM rejected_leads"))}
    assert quality["duplicate_precision"] >= 0.99 and quality["duplicate_recall"] >= 0.5
    assert quality["junk_precision"] >= 0.9 and quality["junk_recall"] >= 0.8


def test_rerunning_dates_is_idempotent(loaded, generated):
    url, schema, _ = loaded
    before = snapshot(url, schema)
    nightly(run_date=LAST_DAY, extracts_dir=str(generated), warehouse_url=url)
    assert_same(before, snapshot(url, schema))
    # Re-running a middle date re-runs the dates after it, and ends where it started.
    summaries = backfill(start_date=FIRST_DAY + timedelta(days=2), end_date=FIRST_DAY + timedelta(days=2),
                         extracts_dir=str(generated), warehouse_url=url)
    assert [s.run_date for s in summaries] == [FIRST_DAY + timedelta(days=d) for d in (2, 3, 4)]
    assert_same(before, snapshot(url, schema))
    statuses = read(url, schema, "SELECT run_date, status FROM runs")
    assert (statuses.groupby("run_date")["status"].apply(lambda s: (s == "succeeded").sum()) == 1).all()


def _count_heartbeats(monkeypatch) -> list[str]:
    """The names of the flow runs that send a Prefect heartbeat from now on, one entry a beat."""
    from prefect.flow_engine import FlowRunEngine

    beats: list[str] = []
    send = FlowRunEngine._emit_flow_run_heartbeat

    def counted(engine, *args, **kwargs):
        beats.append(engine.flow_run.name)
        return send(engine, *args, **kwargs)

    monkeypatch.setattr(FlowRunEngine, "_emit_flow_run_heartbeat", counted)
    return beats


def test_only_prefects_temporary_api_server_leaves_heartbeats_unread():
    from flows.nightly import heartbeat_unread

    assert heartbeat_unread() is False  # this session's server has an address (PREFECT_API_URL)
    with temporary_settings({PREFECT_API_URL: None}):
        assert heartbeat_unread() is True


def test_the_dates_a_backfill_or_a_rerun_chain_runs_leave_the_heartbeat_to_it(in_schema, generated, monkeypatch):
    """With Prefect's heartbeats on, as in production: the backfill's flow run and the nightly run that
    starts a re-run chain send them; the dates they run as subflows send none."""
    url, _ = in_schema
    beats = _count_heartbeats(monkeypatch)
    second = FIRST_DAY + timedelta(days=1)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 180}):
        summaries = backfill(start_date=FIRST_DAY, end_date=second, extracts_dir=str(generated), warehouse_url=url)
        assert [s.status for s in summaries] == ["succeeded", "succeeded"]
        assert set(beats) == {f"backfill {FIRST_DAY}..{second}"}
        beats.clear()
        rerun = nightly(run_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=url)  # re-runs the second
        assert rerun.status == "succeeded"
        assert set(beats) == {f"nightly {FIRST_DAY}"}
    runs = read(url, in_schema[1], "SELECT run_date, status FROM runs")
    statuses = runs.groupby(runs["run_date"].astype(str).str[:10])["status"].apply(sorted).to_dict()
    assert statuses == {str(day): ["succeeded", "superseded"] for day in (FIRST_DAY, second)}


def test_broken_extract_fails_and_changes_nothing(loaded, generated, tmp_path):
    url, schema, _ = loaded
    extracts = tmp_path / "extracts"
    shutil.copytree(generated / str(LAST_DAY), extracts / str(LAST_DAY))
    leads = pd.read_csv(extracts / str(LAST_DAY) / "leads.csv", dtype=str)
    leads.drop(columns=["created_at"]).to_csv(extracts / str(LAST_DAY) / "leads.csv", index=False)
    before = snapshot(url, schema)
    with pytest.raises(ExtractError, match="created_at"):
        nightly(run_date=LAST_DAY, extracts_dir=str(extracts), warehouse_url=url)
    assert_same(before, snapshot(url, schema))
    failed = read(url, schema, "SELECT status, error FROM runs WHERE status = 'failed'")
    assert len(failed) == 1 and "created_at" in failed["error"][0]


def test_failure_while_writing_rolls_back_everything(loaded, generated, monkeypatch):
    url, schema, _ = loaded
    import tasks.warehouse.state

    real_insert = tasks.warehouse.state.bulk_insert

    def failing_insert(conn, table, frame):
        if table == "mql_events":
            raise RuntimeError("disk full")
        return real_insert(conn, table, frame)

    monkeypatch.setattr(tasks.warehouse.state, "bulk_insert", failing_insert)
    before = snapshot(url, schema)
    with pytest.raises(RuntimeError, match="disk full"):
        nightly(run_date=FIRST_DAY + timedelta(days=3), extracts_dir=str(generated), warehouse_url=url)
    assert_same(before, snapshot(url, schema))
    failed = read(url, schema, "SELECT error FROM runs WHERE status = 'failed'")
    assert failed["error"].tolist() == ["RuntimeError: disk full"]


def test_cli_user_errors_are_one_line(tmp_path):
    runner = CliRunner()
    warehouse = f"sqlite:///{tmp_path / 'w.db'}"
    cases = [
        (["run", "--date", "2026-02-30", "--warehouse", warehouse], "--date: '2026-02-30' is not a date"),
        (["run", "--date", "2026-03-02", "--extracts", str(tmp_path / "none"), "--warehouse", warehouse],
         "no extract folder for 2026-03-02"),
        (["run", "--date", "2026-03-02", "--warehouse", "postgresql+psycopg://x:secret@127.0.0.1:1/db"],
         "cannot reach warehouse postgresql+psycopg://x:***@127.0.0.1:1/db"),
        (["run", "--date", "2026-03-02", "--warehouse", warehouse, "--model", str(tmp_path / "m.yaml")],
         "scoring model file not found"),
        (["backfill", "--start", "2026-03-05", "--end", "2026-03-01", "--warehouse", warehouse],
         "--end 2026-03-01 is before --start 2026-03-05"),
    ]
    for args, expected in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.output
        assert "secret" not in result.output


def test_cli_run_prints_the_day_and_rebuilds_the_dashboard(in_schema, generated, tmp_path, monkeypatch):
    url, _ = in_schema
    monkeypatch.setenv("MQL_REPORTS_DIR", str(tmp_path / "reports"))
    beats = _count_heartbeats(monkeypatch)
    command = ["run", "--date", str(FIRST_DAY), "--extracts", str(generated), "--warehouse", url]
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 180}):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 0, result.output
        # A server that outlives the command (this session's) reads the date's heartbeat ...
        assert set(beats) == {f"nightly {FIRST_DAY}"}
        beats.clear()
        # ... Prefect's temporary one, which stops with the command, is sent none.
        monkeypatch.setattr("flows.nightly.heartbeat_unread", lambda: True)
        again = CliRunner().invoke(app, command)
        assert again.exit_code == 0, again.output
        assert beats == []
    assert str(FIRST_DAY) in result.output and "new MQLs" in result.output
    dashboard = (tmp_path / "reports" / "dashboard.html").read_text()
    assert f"<td>{FIRST_DAY}</td>" in dashboard and dashboard.count("<svg") >= 4
    # The run report watches the live model; a first night has no matured cohort, and says so.
    report = next((tmp_path / "reports" / str(FIRST_DAY)).glob("*.html")).read_text()
    assert "Live model ranking: latest matured cohort (first run dates 2026-01-25 to 2026-01-31" in report
    assert "not checked: the latest matured cohort (first run dates 2026-01-25 to 2026-01-31) has 0 of 0" in report


def test_rerunning_a_changed_middle_date_equals_loading_from_scratch(loaded, generated, tmp_path, monkeypatch):
    """Point-in-time: correcting day 3 of 5 and re-running it gives what loading the corrected
    extracts from the start gives, days 4 and 5 included."""
    url, schema, _ = loaded
    extracts = tmp_path / "extracts"
    shutil.copytree(generated, extracts)
    before = snapshot(url, schema)

    middle = extracts / str(FIRST_DAY + timedelta(days=2))
    leads = pd.read_csv(middle / "leads.csv", dtype=str, keep_default_na=False)
    leads.iloc[: len(leads) - 40].to_csv(middle / "leads.csv", index=False)   # 40 rows withdrawn
    activities = pd.read_csv(middle / "activities.csv", dtype=str, keep_default_na=False)
    activities.iloc[::2].to_csv(middle / "activities.csv", index=False)      # half the activities
    backfill(start_date=FIRST_DAY + timedelta(days=2), end_date=FIRST_DAY + timedelta(days=2),
             extracts_dir=str(extracts), warehouse_url=url)
    corrected = snapshot(url, schema)

    # The same kind of warehouse, empty: another SQLite file, or another PostgreSQL schema.
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}" if url.startswith("sqlite") else url
    fresh_schema = schema + "_fresh"
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", fresh_schema)
    try:
        backfill(start_date=FIRST_DAY, end_date=LAST_DAY, extracts_dir=str(extracts), warehouse_url=fresh_url)
        assert_same(snapshot(fresh_url, fresh_schema), corrected)
    finally:
        if not url.startswith("sqlite"):
            drop_schema(url, fresh_schema)
    # The correction really changed days 3 to 5, and left days 1 and 2 alone.
    dates = set(before["lead_scores"]["run_date"].str[:10])
    differs = {day for day in dates
               if not before["lead_scores"][before["lead_scores"]["run_date"].str[:10] == day].reset_index(drop=True)
               .equals(corrected["lead_scores"][corrected["lead_scores"]["run_date"].str[:10] == day]
                       .reset_index(drop=True))}
    assert differs == {str(FIRST_DAY + timedelta(days=d)) for d in (2, 3, 4)}


def test_window_decay_sums_the_window_and_reruns_exactly(in_schema, generated, tmp_path):
    """Under `decay: {window_days: 2}` a day's engagement comes from the activities of that day and
    the one before, read back from the warehouse; re-running a past date gives the same rows."""
    url, schema = in_schema
    shipped = Path(__file__).resolve().parents[2] / "config" / "scoring_model.yaml"
    model = tmp_path / "window.yaml"
    model.write_text(shipped.read_text().replace("half_life_days: 14 ", "decay: {window_days: 2}"))
    third = FIRST_DAY + timedelta(days=2)
    backfill(start_date=FIRST_DAY, end_date=third, extracts_dir=str(generated), warehouse_url=url,
             model_path=str(model))
    before = snapshot(url, schema)
    backfill(start_date=FIRST_DAY + timedelta(days=1), end_date=FIRST_DAY + timedelta(days=1),
             extracts_dir=str(generated), warehouse_url=url, model_path=str(model))
    assert_same(before, snapshot(url, schema))

    day = str(third)
    rows = contribution_rows(before["lead_scores"])
    engaged = rows[(rows["run_date"].str[:10] == day) & (rows["kind"] == "engagement")]
    acts = read_table(url, "activities", schema)
    active = set(acts.loc[acts["run_date"].astype(str).str[:10].isin([day, str(third - timedelta(days=1))])
                          & acts["bot_reason"].isna(), "lead_id"])
    scored = set(before["lead_scores"].loc[before["lead_scores"]["run_date"].str[:10] == day, "lead_id"])
    assert len(engaged) > 50 and set(engaged["lead_id"]) <= active
    assert scored - active  # leads scored on the day without activity in the window: no engagement rows
    assert set(engaged["decay_factor"].astype(float)) == {1.0}


def test_a_model_without_derivations_runs(in_schema, generated, tmp_path):
    """`derive: {}`: the night scores without seniority and department (left empty), no traceback."""
    url, schema = in_schema
    shipped = Path(__file__).resolve().parents[2] / "config" / "scoring_model.yaml"
    data = yaml.safe_load(shipped.read_text())
    data["derive"] = {}
    model = tmp_path / "no-derive.yaml"
    model.write_text(yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(app, ["run", "--date", str(FIRST_DAY), "--extracts", str(generated),
                                      "--warehouse", url, "--model", str(model)])
    assert result.exit_code == 0, result.output
    leads = read_table(url, "leads", schema)
    assert len(leads) > 100 and leads["seniority"].isna().all() and leads["department"].isna().all()
    rules = set(contribution_rows(read_table(url, "lead_scores", schema))["rule"])
    assert "industry_core" in rules and not {"seniority_executive", "buying_department"} & rules


def with_values(generated: Path, to: Path) -> Path:
    """The generated extracts with the optional `value` measure on their activities: seconds on
    site for page views, pages read for downloads, none for the rest."""
    shutil.copytree(generated, to)
    for path in sorted(to.glob("*/activities.csv")):
        acts = pd.read_csv(path, dtype=str, keep_default_na=False)
        position = pd.Series(range(len(acts)), index=acts.index)
        acts["value"] = ""
        pages = acts["activity_type"] == "page_view"
        acts.loc[pages, "value"] = ((position[pages] * 37) % 900 + 30).astype(str)
        downloads = acts["activity_type"] == "content_download"
        acts.loc[downloads, "value"] = (position[downloads] % 12 + 1).astype(str)
        acts.to_csv(path, index=False)
    return to


def value_and_matrix_model(tmp_path: Path) -> Path:
    """The shipped model with time on site as engagement (1 point a minute, at most 10 a day and 20
    in all), engagement levels and a matrix beside the total rule."""
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "scoring_model.yaml").read_text())
    data["engagement"]["rules"].insert(0, {"name": "time_on_site", "activity_types": ["page_view"],
                                           "measure": "value", "points_per": 1, "per": 60, "daily_cap": 10,
                                           "cap": 20})
    data["engagement_levels"] = [{"level": 1, "min_engagement": 60}, {"level": 2, "min_engagement": 30},
                                 {"level": 3, "min_engagement": 10}]
    data["mql"]["matrix"] = ["A1", "A2", "B1", "B2"]
    path = tmp_path / "value-matrix.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


VALUE_TABLES = (*RESULT_TABLES, "handoffs")


def value_night(url: str, schema: str, generated: Path, tmp_path: Path):
    """Three generated days, with activity values, loaded with the value and matrix model:
    (extracts folder, model file, the third day, snapshot of VALUE_TABLES)."""
    extracts = with_values(generated, tmp_path / "extracts")
    model = value_and_matrix_model(tmp_path)
    third = FIRST_DAY + timedelta(days=2)
    backfill(start_date=FIRST_DAY, end_date=third, extracts_dir=str(extracts), warehouse_url=url,
             model_path=str(model))
    return extracts, model, third, snapshot(url, schema, VALUE_TABLES)


def test_value_engagement_and_matrix_night_reruns_exactly(in_schema, generated, tmp_path):
    """A model with engagement from the activities' value and the fit × engagement matrix: the
    values are stored, each lead's time on site is the decayed sum of its minutes (10 a day at
    most, the rule at most 20), every lead's matrix cell follows its grade and engagement, MQLs
    enter by the total or by a listed cell and no lead that meets either stays out; re-running a
    past date gives the same rows."""
    url, schema = in_schema
    extracts, model, third, before = value_night(url, schema, generated, tmp_path)
    tables = VALUE_TABLES
    backfill(start_date=FIRST_DAY + timedelta(days=1), end_date=FIRST_DAY + timedelta(days=1),
             extracts_dir=str(extracts), warehouse_url=url, model_path=str(model))
    assert_same(before, snapshot(url, schema, tables))

    # The values are stored as the files gave them.
    acts = read_table(url, "activities", schema)
    acts["run_date"] = acts["run_date"].astype(str).str[:10]
    given = pd.concat([pd.read_csv(extracts / day / "activities.csv", dtype=str, keep_default_na=False)
                       .assign(run_date=day) for day in sorted(set(acts["run_date"]))])
    stored = acts.merge(given[["run_date", "source_system", "activity_id", "value"]],
                        on=["run_date", "source_system", "activity_id"], suffixes=("", "_file"))
    assert len(stored) == len(acts) and stored["value"].notna().sum() > 100
    assert stored["value"].astype(float).fillna(-1).tolist() == \
        pd.to_numeric(stored["value_file"]).fillna(-1).tolist()

    # Time on site, recomputed from the stored activities: each day's minutes, at most 10 points,
    # halved every 14 days, summed; the rule's cap on top.
    merged = set(read_table(url, "lead_merges", schema)["lead_id"].astype(str))
    pages = acts[(acts["activity_type"] == "page_view") & acts["bot_reason"].isna() & acts["lead_id"].notna()]
    per_day = (pages.assign(points=pages["value"].astype(float).fillna(0.0) / 60)
               .groupby(["lead_id", "run_date"])["points"].sum().clip(upper=10.0).reset_index())
    age = (pd.Timestamp(third) - pd.to_datetime(per_day["run_date"])).dt.days
    expected = (per_day["points"] * 0.5 ** (age / 14)).groupby(per_day["lead_id"]).sum()
    ledger = contribution_rows(before["lead_scores"])
    ledger = ledger[(ledger["run_date"].str[:10] == str(third)) & (ledger["rule"] == "time_on_site")]
    ledger = ledger[~ledger["lead_id"].isin(merged)].set_index("lead_id")
    assert len(ledger) > 50
    assert ledger["decayed_value"].astype(float).to_dict() == pytest.approx(expected[ledger.index].to_dict())
    assert ledger["points"].astype(float).tolist() == pytest.approx(expected[ledger.index].clip(upper=20).tolist())
    assert (ledger["points"].astype(float) == 20).any() and (ledger["points"].astype(float) < 20).any()

    # Every lead's cell is its grade and engagement level.
    scores = before["lead_scores"].assign(run_date=lambda f: f["run_date"].str[:10])
    engagement = scores["engagement_score"].astype(float)
    level = (1 + (engagement < 60).astype(int) + (engagement < 30).astype(int) + (engagement < 10).astype(int))
    assert scores["matrix_cell"].tolist() == (scores["grade"] + level.astype(str)).tolist()

    # MQLs enter by the total rule or by a listed cell, and every lead that meets either enters.
    matrix = {"A1", "A2", "B1", "B2"}
    events = before["mql_events"].assign(run_date=lambda f: f["run_date"].str[:10])
    entered = events[(events["cause"] == "score") & (events["to_stage"] == "mql")]
    scored = entered.merge(scores, on=["lead_id", "run_date"])
    by_total = (scored["total_score"].astype(float) >= 90) & (scored["fit_score"].astype(float) >= 30)
    by_cell = scored["matrix_cell"].isin(matrix)
    assert len(scored) == len(entered) and (by_total | by_cell).all()
    assert scored["detail"].tolist() == [
        f"total {float(t):.1f} >= 90" if total else f"cell {c} in the matrix"
        for t, c, total in zip(scored["total_score"], scored["matrix_cell"], by_total)]
    assert (~by_total).sum() > 0  # some entered by the matrix alone
    history = before["lead_history"].assign(run_date=lambda f: f["run_date"].str[:10])
    outcomes = before["sales_outcomes"].assign(run_date=lambda f: f["run_date"].str[:10])
    waiting = history[history["lifecycle_stage"].isin(["lead", "recycled"])].merge(
        scores[["lead_id", "run_date", "matrix_cell"]], on=["lead_id", "run_date"])
    waiting = waiting[~(waiting["lead_id"] + waiting["run_date"]).isin(outcomes["lead_id"] + outcomes["run_date"])]
    assert len(waiting) > 100
    assert not waiting["matrix_cell"].isin(matrix).any()
    assert not ((waiting["total_score"].astype(float) >= 90) & (waiting["fit_score"].astype(float) >= 30)).any()

    # `mql explain` shows the cell and the value rule's row.
    lead = scored.loc[~by_total].iloc[0]
    shown = CliRunner().invoke(app, ["explain", "--lead", lead["lead_id"], "--date", lead["run_date"],
                                     "--warehouse", url])
    assert shown.exit_code == 0, shown.output
    assert f"grade {lead['grade']}, matrix cell {lead['matrix_cell']}" in shown.output

    # Hand-offs carry the lead's cell.
    handed = before["handoffs"].assign(run_date=lambda f: f["run_date"].str[:10]).merge(
        scores[["lead_id", "run_date", "matrix_cell"]], on=["lead_id", "run_date"], suffixes=("", "_scored"))
    assert len(handed) and handed["matrix_cell"].tolist() == handed["matrix_cell_scored"].tolist()


def test_correcting_a_days_values_and_rerunning_equals_loading_from_scratch(in_schema, generated, tmp_path,
                                                                              monkeypatch):
    """Point-in-time with value-based engagement and the matrix: correcting the activity values of
    day 2 of 3 and re-running it gives what loading the corrected extracts from the start gives,
    day 3 included; day 1 is left alone."""
    url, schema = in_schema
    extracts, model, third, before = value_night(url, schema, generated, tmp_path)
    tables = VALUE_TABLES

    second = extracts / str(FIRST_DAY + timedelta(days=1)) / "activities.csv"
    acts = pd.read_csv(second, dtype=str, keep_default_na=False)
    given = acts["value"] != ""
    acts.loc[given, "value"] = (pd.to_numeric(acts.loc[given, "value"]) * 3).astype(str)  # three times as long
    acts.loc[given[given].index[::4], "value"] = ""                                          # a quarter withdrawn
    acts.to_csv(second, index=False)
    backfill(start_date=FIRST_DAY + timedelta(days=1), end_date=FIRST_DAY + timedelta(days=1),
             extracts_dir=str(extracts), warehouse_url=url, model_path=str(model))
    corrected = snapshot(url, schema, tables)

    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}" if url.startswith("sqlite") else url
    fresh_schema = schema + "_fresh"
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", fresh_schema)
    try:
        backfill(start_date=FIRST_DAY, end_date=third, extracts_dir=str(extracts), warehouse_url=fresh_url,
                 model_path=str(model))
        assert_same(snapshot(fresh_url, fresh_schema, tables), corrected)
    finally:
        if not url.startswith("sqlite"):
            drop_schema(url, fresh_schema)

    def time_on_site(tables: dict[str, pd.DataFrame], day) -> pd.DataFrame:
        rows = contribution_rows(tables["lead_scores"])
        return rows[(rows["run_date"].str[:10] == str(day)) & (rows["rule"] == "time_on_site")].reset_index(drop=True)

    assert time_on_site(before, FIRST_DAY).equals(time_on_site(corrected, FIRST_DAY))
    for day in (FIRST_DAY + timedelta(days=1), third):
        assert not time_on_site(before, day).equals(time_on_site(corrected, day))


def test_the_source_systems_own_mql_flag_is_kept_apart_and_moves_nothing(in_schema, generated, tmp_path, monkeypatch):
    """Outcome rows of status `mql` (the CRM's own flag) land in source_lifecycle, never in
    sales_outcomes; every result table is the same as without them; funnel_metrics compares them."""
    url, schema = in_schema
    second = FIRST_DAY + timedelta(days=1)
    plain, flagged = tmp_path / "plain", tmp_path / "flagged"
    for folder in (plain, flagged):
        for day in (FIRST_DAY, second):
            shutil.copytree(generated / str(day), folder / str(day))
    backfill(start_date=FIRST_DAY, end_date=second, extracts_dir=str(plain), warehouse_url=url)
    without = snapshot(url, schema)
    # 30 source records loaded on the first day, flagged MQL by their source on the second; one never loaded.
    leads = read(url, schema, "SELECT source_system, source_lead_id FROM lead_identities WHERE run_date = :day "
                 "ORDER BY source_system, source_lead_id", day=FIRST_DAY).head(30)
    outcomes = pd.read_csv(flagged / str(second) / "outcomes.csv", dtype=str, keep_default_na=False)
    flags = pd.DataFrame({"source_system": [*leads["source_system"], "crm"],
                          "source_lead_id": [*leads["source_lead_id"], "never-loaded"],
                          "occurred_at": f"{second}T09:00:00Z", "status": "mql", "reason": ""})
    pd.concat([outcomes, flags], ignore_index=True).to_csv(flagged / str(second) / "outcomes.csv", index=False)
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema + "_flags")
    other = f"sqlite:///{tmp_path / 'flags.db'}" if url.startswith("sqlite") else url
    try:
        backfill(start_date=FIRST_DAY, end_date=second, extracts_dir=str(flagged), warehouse_url=other)
        assert_same(without, snapshot(other, schema + "_flags"))  # no lead moved, no sales outcome added
        stored = read_table(other, "source_lifecycle", schema + "_flags")
        journeys = read(other, schema + "_flags", "SELECT lead_id, reached_mql, source_flagged_mql, mql_both, "
                        "mql_source_only, mql_product_only FROM lead_journeys")
        funnel = read(other, schema + "_flags", "SELECT SUM(mqls) AS mqls, SUM(source_mqls) AS source_mqls, "
                      "SUM(mqls_both) AS both_, SUM(mqls_source_only) AS source_only, "
                      "SUM(mqls_product_only) AS product_only FROM funnel_metrics WHERE dimension = 'day'")
    finally:
        if not url.startswith("sqlite"):
            drop_schema(url, schema + "_flags")
    assert len(stored) == 31 and set(stored["status"]) == {"mql"} and stored["lead_id"].isna().sum() == 1
    assert (stored["run_date"].astype(str).str[:10] == str(second)).all()
    flagged_leads = set(stored["lead_id"].dropna())
    made_mql = set(journeys.loc[journeys["reached_mql"] == 1, "lead_id"])
    assert set(journeys.loc[journeys["source_flagged_mql"] == 1, "lead_id"]) == flagged_leads
    counts = funnel.iloc[0].astype(int).to_dict()
    assert counts == {"mqls": len(made_mql), "source_mqls": len(flagged_leads),
                      "both_": len(flagged_leads & made_mql), "source_only": len(flagged_leads - made_mql),
                      "product_only": len(made_mql - flagged_leads)}
    assert counts["both_"] > 0 and counts["source_only"] > 0 and counts["product_only"] > 0
