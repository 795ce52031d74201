"""Faults of the warehouse's database and files give one-line errors (exit 2) and change nothing;
`mql status` lists failed runs."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from tasks.warehouse import bulk_insert, open_warehouse


def test_status_lists_failed_runs_beside_succeeded_ones(warehouse, monkeypatch):
    # A run without an error came back as NaN beside one with an error: 'float' is not subscriptable.
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    runs = pd.DataFrame({
        "run_id": ["a", "b", "c"], "run_date": ["2026-03-02", "2026-03-03", "2026-03-03"],
        "status": ["succeeded", "failed", "running"], "parameters": "{}",
        "started_at": ["2026-03-03T01:00:00+00:00", "2026-03-04T01:00:00+00:00", "2026-03-04T02:00:00+00:00"],
        "ended_at": ["2026-03-03T01:00:12.5+00:00", "2026-03-04T01:00:03+00:00", None],
        "code_version": "v1", "model_version": "m1",
        "error": [None, "2026-03-03: extract folder missing: /x/2026-03-03", None]})
    counts = pd.DataFrame({"run_id": "a", "run_date": "2026-03-02", "stage": "conservation",
                           "metric": ["leads_in", "written"], "value": [300, 250]})
    with engine.begin() as conn:
        bulk_insert(conn, "runs", runs)
        bulk_insert(conn, "run_counts", counts)
    engine.dispose()
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema)
    result = CliRunner().invoke(app, ["status", "--warehouse", url])
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines() if "│" in line]
    cells = [row for row in rows if row[0].startswith("2026-")]  # a long error folds onto more lines
    assert [row[:2] for row in cells] == [["2026-03-03", "running"], ["2026-03-03", "failed"],
                                          ["2026-03-02", "succeeded"]]
    assert cells[1][3] == "3.0" and cells[1][-1].startswith("2026-03-03: extract folder")
    assert cells[2][3] == "12.5" and cells[2][4:6] == ["300", "250"] and cells[2][-1] == ""
    assert cells[0][3] == "" and cells[0][-1] == ""
