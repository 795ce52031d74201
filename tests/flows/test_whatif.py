"""`mql model whatif`: replays of loaded dates into a scratch copy, on SQLite and PostgreSQL, under a
real Prefect API: the live model reproduces the live tables, a lower threshold gains the leads it
should, and the live warehouse is left exactly as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill
from tasks.warehouse.connection import warehouse_file
from tasks.warehouse.migrations import schema_tables
from tasks.warehouse.scratch import drop_schema
from tests.conftest import FIRST_DAY, read_sql, read_table

pytestmark = pytest.mark.usefixtures("prefect_api")
LIVE_MODEL = Path(__file__).resolve().parents[2] / "config" / "scoring_model.yaml"
START, END = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2)  # a day before, a loaded day after
# What a run date decides, per table: the rows of the range, on the columns a model changes.
REPLAYED = {
    "lead_scores": ("run_date", "lead_id", "fit_score", "engagement_score", "total_score", "grade", "model_version",
                    "contributions"),
    "mql_events": ("run_date", "lead_id", "seq", "from_stage", "to_stage", "occurred_at", "cause", "detail"),
    "lead_history": ("run_date", "lead_id", "lifecycle_stage", "stage_changed_at", "first_mql_at", "last_mql_at",
                     "total_score", "grade", "review_on", "interests"),
    "handoffs": ("run_date", "lead_id", "from_stage", "to_stage", "new_mql", "total_score", "segment", "reasons"),
    "nurture_enrollments": ("entered_run_date", "lead_id", "segment", "entered_at", "exited_run_date", "exit_reason"),
}


@pytest.fixture
def live(in_schema, generated):
    """A live warehouse holding four generated days."""
    url, schema = in_schema
    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=3), extracts_dir=str(generated),
             warehouse_url=url)
    return url, schema


def fingerprint(url: str, schema: str) -> dict[str, object]:
    """Row counts of every table, a checksum of the leads table, and on SQLite the file's bytes."""
    counts = {table: len(read_table(url, table, schema)) for table in sorted(schema_tables())}
    leads = read_table(url, "leads", schema).astype(str).sort_values("lead_id")
    found = {"counts": counts, "leads": hashlib.sha256(leads.to_csv(index=False).encode()).hexdigest()}
    database = warehouse_file(url)
    if database is not None:
        found["file"] = hashlib.sha256(database.read_bytes()).hexdigest()
    return found


def range_rows(url: str, schema: str, table: str) -> pd.DataFrame:
    columns = REPLAYED[table]
    day = columns[0]
    frame = read_table(url, table, schema)
    frame = frame[frame[day].astype(str).str[:10].between(str(START), str(END))]
    if table == "nurture_enrollments":  # as the end of the range left them: exits after it are not replayed
        later = frame["exited_run_date"].notna() & (frame["exited_run_date"].astype(str).str[:10] > str(END))
        frame.loc[later, ["exited_run_date", "exit_reason"]] = None
    return frame[list(columns)].astype(str).sort_values(list(columns), ignore_index=True)


def whatif(url: str, model: Path, out: Path, *more: str) -> dict:
    result = CliRunner().invoke(app, ["model", "whatif", "--model", str(model), "--start", str(START), "--end",
                                      str(END), "--warehouse", url, "--out", str(out), *more])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def remove(scratch: dict) -> None:
    if scratch["schema"].startswith("mql_whatif_"):
        drop_schema(scratch["url"], scratch["schema"])
    shutil.rmtree(scratch["folder"])


def expected_gains(url: str, schema: str, entry: float, fit: float) -> set[str]:
    """From the live tables alone: leads scored at or above `entry` (with the fit) on a date of the
    range while waiting to become MQLs (lead or recycled after the day's sales outcomes, none of
    which moved them that day), which the live model did not make MQLs in the range."""
    scores = read_sql(url, "SELECT s.lead_id, s.run_date FROM lead_scores AS s JOIN lead_history AS h "
                           "ON h.lead_id = s.lead_id AND h.run_date = s.run_date "
                           "WHERE s.run_date BETWEEN :start AND :end AND s.total_score >= :entry "
                           "AND s.fit_score >= :fit AND h.lifecycle_stage IN ('lead', 'recycled')",
                      schema, start=str(START), end=str(END), entry=entry, fit=fit)
    moved = read_sql(url, "SELECT lead_id, run_date FROM mql_events WHERE cause LIKE 'outcome:%' "
                          "AND run_date BETWEEN :start AND :end", schema, start=str(START), end=str(END))
    mqls = read_sql(url, "SELECT lead_id FROM mql_events WHERE to_stage = 'mql' "
                         "AND run_date BETWEEN :start AND :end", schema, start=str(START), end=str(END))
    waiting = scores.merge(moved.assign(moved=True), on=["lead_id", "run_date"], how="left")
    return set(waiting.loc[waiting["moved"].isna(), "lead_id"]) - set(mqls["lead_id"])


def test_whatif_replays_the_live_model_exactly_and_a_lower_threshold_gains_leads(live, tmp_path):
    url, schema = live
    before = fingerprint(url, schema)

    same = whatif(url, LIVE_MODEL, tmp_path / "same.json", "--keep")
    scratch = same["scratch"]
    try:
        for table in REPLAYED:
            replayed = range_rows(scratch["url"], scratch["schema"], table)
            assert len(replayed) > 0, table
            pd.testing.assert_frame_equal(range_rows(url, schema, table), replayed, obj=table)
    finally:
        remove(scratch)
    assert same["overall"]["live"] == same["overall"]["whatif"]
    assert same["overall"]["live"]["mqls"] > 0 and same["replayed_dates"] == 2
    assert (same["gained"]["count"], same["lost"]["count"]) == (0, 0)
    assert all(row["live"] == row["whatif"] for row in same["by_lead_source"] + same["by_segment"])
    mqls = read_sql(url, "SELECT COUNT(DISTINCT lead_id) AS n FROM mql_events WHERE to_stage = 'mql' "
                         "AND run_date BETWEEN :start AND :end", schema, start=str(START), end=str(END))
    assert same["overall"]["live"]["mqls"] == mqls["n"][0]

    lower = tmp_path / "lower.yaml"
    text = LIVE_MODEL.read_text()
    lower.write_text(text.replace("entry_min_total: 90 ", "entry_min_total: 70 ").replace(
        'version: "2026.11-b2b-1"', 'version: "lower-entry-70"'))
    report = whatif(url, lower, tmp_path / "lower.json", "--examples", "1000")
    gained = report["gained"]
    expected = expected_gains(url, schema, 70, 30)
    assert len(expected) > 10
    assert gained["count"] == len(expected) and {e["lead_id"] for e in gained["examples"]} == expected
    assert report["lost"]["count"] == 0  # a lower entry threshold keeps every MQL the live model made
    assert all(70 <= e["whatif_total"] < 90 and e["whatif_fit"] >= 30 and e["live_total"] == e["whatif_total"]
               for e in gained["examples"])
    assert sum(gained["by_lead_source"].values()) == sum(gained["by_segment"].values()) == len(expected)
    overall = report["overall"]
    assert overall["whatif"]["mqls"] == overall["live"]["mqls"] + len(expected)
    assert overall["whatif"]["leads"] == overall["live"]["leads"] > 0
    assert overall["whatif"]["lead_to_mql_rate"] > overall["live"]["lead_to_mql_rate"]
    assert report["whatif"]["model_version"] == "lower-entry-70"
    assert report["live"]["model_versions"] == ["2026.11-b2b-1"]
    by_source = {row["lead_source"]: row["whatif"]["mqls"] - row["live"]["mqls"] for row in report["by_lead_source"]}
    assert {k: v for k, v in by_source.items() if v} == gained["by_lead_source"]

    assert fingerprint(url, schema) == before
    if url.startswith("postgresql"):
        left = read_sql(url, "SELECT COUNT(*) AS n FROM information_schema.schemata "
                             "WHERE schema_name LIKE 'mql_whatif_%'")
        assert left["n"][0] == 0  # the scratch schemas are gone


@pytest.fixture
def one_day(in_schema, generated):
    url, schema = in_schema
    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY, extracts_dir=str(generated), warehouse_url=url)
    return url, schema


def test_bad_input_is_one_line_and_changes_nothing(one_day, tmp_path):
    url, schema = one_day
    before = fingerprint(url, schema)
    broken = tmp_path / "broken.yaml"
    broken.write_text(LIVE_MODEL.read_text().replace("entry_min_total: 90 ", "entry_min_total: lots "))
    out = tmp_path / "out.json"
    day = str(FIRST_DAY)
    cases = {
        ("--start", "2026-13-01", "--end", day): "--start: '2026-13-01' is not a date",
        ("--start", day, "--end", "2026-03-01"): "--end 2026-03-01 is before --start 2026-03-02",
        ("--start", day, "--end", str(FIRST_DAY + timedelta(days=1)), ): "2026-03-03 is not loaded in warehouse",
        ("--start", "2025-01-01", "--end", day): "2025-01-01 is not loaded in warehouse",
        ("--start", day, "--end", day, "--model", str(broken)): "entry_min_total",
        ("--start", day, "--end", day, "--model", str(tmp_path / "none.yaml")): "none.yaml",
        ("--start", day, "--end", day, "--extracts", str(tmp_path / "gone")): "no extract folder for 2026-03-02",
    }
    for args, message in cases.items():
        model = [] if "--model" in args else ["--model", str(LIVE_MODEL)]
        result = CliRunner().invoke(app, ["model", "whatif", *model, *args, "--warehouse", url, "--out", str(out)])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr, (message, result.stderr)
        assert not out.exists()
    assert "it holds 2026-03-02 to 2026-03-02" in CliRunner().invoke(
        app, ["model", "whatif", "--model", str(LIVE_MODEL), "--start", day, "--end", "2026-03-04",
              "--warehouse", url]).stderr
    assert fingerprint(url, schema) == before


def test_whatif_replays_a_value_and_matrix_model_exactly(in_schema, generated, tmp_path):
    """A live warehouse scored with engagement from the activities' value and the fit × engagement
    matrix: replaying its own model (the stored extracts' values read again) reproduces its tables,
    the cells too."""
    from tests.flows.test_nightly import value_and_matrix_model, with_values

    url, schema = in_schema
    extracts = with_values(generated, tmp_path / "extracts")
    model = value_and_matrix_model(tmp_path)
    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=3), extracts_dir=str(extracts),
             warehouse_url=url, model_path=str(model))
    same = whatif(url, model, tmp_path / "same.json", "--keep", "--extracts", str(extracts))
    scratch = same["scratch"]
    try:
        for table in REPLAYED:
            pd.testing.assert_frame_equal(range_rows(url, schema, table),
                                          range_rows(scratch["url"], scratch["schema"], table), obj=table)
        cells = [read_table(u, "lead_scores", s)[["run_date", "lead_id", "matrix_cell"]].astype(str)
                 .sort_values(["run_date", "lead_id"], ignore_index=True)
                 for u, s in ((url, schema), (scratch["url"], scratch["schema"]))]
        cells = [c[c["run_date"].str[:10].between(str(START), str(END))].reset_index(drop=True) for c in cells]
        pd.testing.assert_frame_equal(*cells, obj="matrix_cell")
    finally:
        remove(scratch)
    assert (same["gained"]["count"], same["lost"]["count"]) == (0, 0) and same["overall"]["live"]["mqls"] > 0
    by_cell = read_sql(url, "SELECT lead_id FROM mql_events WHERE to_stage = 'mql' AND detail LIKE 'cell %' "
                            "AND run_date BETWEEN :start AND :end", schema, start=str(START), end=str(END))
    assert len(by_cell) > 0
