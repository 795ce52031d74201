"""`mql bench report --quick`: the page holds the date, the machine, and for each benchmark the
command and the figures that command prints."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from flows.bench_report import QUICK
from flows.cli import app

RECORDED = "## Recorded\n\n### Identity resolution figures\n\nMeasured in November 2026: F1 **0.9851**.\n"


def table(page: str, heading: str) -> list[list[str]]:
    """The cells of the markdown table under `heading`, header and rule left out."""
    section = page.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


@pytest.mark.prefect
def test_quick_report_writes_dated_figures_with_the_commands_that_reproduce_them(prefect_api, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the benchmarks' scratch files and reports stay here
    monkeypatch.setenv("MQL_REPORTS_DIR", str(tmp_path / "reports"))
    out = tmp_path / "docs" / "benchmarks.md"
    out.parent.mkdir()
    out.write_text("# Benchmarks\n\nold figures, replaced\n\n" + RECORDED)
    runner = CliRunner()

    result = runner.invoke(app, ["bench", "report", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()

    assert f"Measured on {datetime.now(timezone.utc):%Y-%m-%d}" in page and "a quick run" in page
    assert "old figures, replaced" not in page and page.endswith("\n" + RECORDED)  # carried over verbatim
    machine = dict(table(page, "Machine"))
    assert machine["cores"] == str(os.cpu_count()) and machine["python"] == sys.version.split()[0]
    assert machine["SQLite"] == sqlite3.sqlite_version and machine["PostgreSQL"] == "not measured"

    rows = {row[0]: row for row in table(page, "Figures")}
    commands = {row[1].strip("`") for row in rows.values()}
    s = QUICK
    expected = {
        f"mql bench fraud --days {s.fraud_days} --leads-per-day {s.fraud_leads_per_day} --seed 7",
        f"mql bench model --days {s.model_days} --leads-per-day {s.model_leads_per_day} --seed 7",
        f"mql bench cost --days {s.cost_days} --leads-per-day {s.cost_leads_per_day} --seed 7 "
        f"--warmup-days {s.cost_warmup_days}",
        f"mql demo --days {s.demo_days} --leads-per-day {s.demo_leads_per_day} --seed 7",
        "mql bench dedupe-scale --incoming 200 --existing 1000 --seed 7",
    }
    assert expected <= commands
    (dedupe,) = [c for c in commands if c.startswith("mql bench dedupe --")]
    assert dedupe.startswith(f"mql bench dedupe --days {s.dedupe_days} --leads-per-day {s.dedupe_leads_per_day} "
                             "--seed 7")

    # The figures on the page are those the command on the page prints.
    fraud_row = next(row for row in rows.values() if row[1].startswith("`mql bench fraud"))
    printed = runner.invoke(app, fraud_row[1].strip("`").split()[1:])
    assert printed.exit_code == 0, printed.output
    figures = json.loads(printed.stdout[printed.stdout.index("{"):])
    assert f"precision **{figures['precision']}**, recall **{figures['recall']}**" in fraud_row[2]
    assert f"({figures['true_positives']} junk rows caught, {figures['false_positives']} legitimate" in fraud_row[2]
    assert figures["true_positives"] > 0

    scale_row = next(row for row in rows.values() if row[1].startswith("`mql bench dedupe-scale"))
    printed = runner.invoke(app, scale_row[1].strip("`").split()[1:])
    assert printed.exit_code == 0, printed.output
    figures = json.loads(printed.stdout[printed.stdout.index("{"):])
    assert f"; {figures['stage']['links']} links" in scale_row[2] and figures["stage"]["links"] > 0
    assert f"against {figures['existing']['leads']} leads ({figures['existing']['match_keys']} stored keys)" \
        in scale_row[0]

    model_row = next(row for row in rows.values() if row[1].startswith("`mql bench model"))
    assert re.search(r"[1-9]\d* converters", model_row[0]), model_row
    assert re.search(r"ROC AUC peak total \*\*0\.\d+\*\*", model_row[2]), model_row
    assert re.search(r"precision \d\.\d+, recall \d\.\d+, F1 \*\*\d\.\d+\*\*", rows[next(
        k for k in rows if k.startswith("identity resolution, hard generated set"))][2])
