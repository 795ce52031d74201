"""`mql model fit` and `mql model evaluate` on a warehouse holding a made-up history (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.scoring.model import load_model
from tasks.warehouse.connection import bulk_insert, open_warehouse
from tests.tasks.scoring.history import FIRST, made_up_history

AS_OF = FIRST + timedelta(days=69)


@pytest.fixture
def history_warehouse(in_schema) -> tuple[str, str]:
    url, schema = in_schema
    history, activities, outcomes, _ = made_up_history(leads=2500)
    stamp = pd.Timestamp("2026-01-05T12:00:00Z")
    rows = history.drop(columns=[]).assign(
        email_consent=True, do_not_contact=False, provenance="{}", created_at=stamp, updated_at=stamp,
        engagement_score=0.0, grade="D", lifecycle_stage="lead", stage_changed_at=stamp, model_version="test",
        interests="[]", last_run_date=history["run_date"])
    engine = open_warehouse(url, schema)
    try:
        with engine.begin() as conn:
            bulk_insert(conn, "lead_history", rows)
            bulk_insert(conn, "activities", activities.assign(
                source_system="crm", activity_id=[f"A{i}" for i in range(len(activities))],
                source_lead_id=activities["lead_id"], occurred_at=stamp))
            bulk_insert(conn, "sales_outcomes", outcomes.assign(
                row_number=range(len(outcomes)), source_system="crm", source_lead_id=outcomes["lead_id"],
                occurred_at=stamp))
    finally:
        engine.dispose()
    return url, schema


def fit(url: str, out: Path, *goal: str):
    """`mql model fit` of 'won' within 30 days as of AS_OF, with the threshold goal given."""
    return CliRunner().invoke(app, ["model", "fit", "--out", str(out), "--target", "won", "--horizon-days", "30",
                                    "--as-of", str(AS_OF), *goal, "--warehouse", url])


def test_fit_writes_a_model_the_scorer_reads_and_a_report(history_warehouse, tmp_path):
    url, _ = history_warehouse
    out = tmp_path / "fitted.yaml"
    result = fit(url, out, "--mql-per-week", "20")
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.version == f"fitted-won-30d-{AS_OF}"
    assert model.missing_values and {r.op for r in model.fit.rules} >= {"bins", "in"}
    report = json.loads((tmp_path / "fitted.report.json").read_text())
    aucs = {name: figures["auc"] for name, figures in report["models"].items()}
    assert set(aucs) == {"current", "fitted", "plain_logistic_regression", "gradient_boosting_ceiling"}
    assert aucs["fitted"] > 0.68 and aucs["fitted"] >= aucs["plain_logistic_regression"] - 0.03
    assert report["threshold"]["entry_min_total"] == model.mql.entry_min_total
    assert 15 <= report["threshold"]["mqls_per_week"] <= 25  # what --mql-per-week asked for
    assert len(report["models"]["fitted"]["lift_by_decile"]) == 10
    assert report["training"]["converted"] >= 100
    assert any(row["field"] == "sector" for row in report["points_per_bin"])
    page = (tmp_path / "fitted.report.html").read_text()
    assert page.count("<svg") >= 2 and "http" not in page.split("<pre>")[0].replace("http://www.w3.org", "")

    evaluated = CliRunner().invoke(app, ["model", "evaluate", "--model", str(out), "--target", "won",
                                         "--horizon-days", "30", "--as-of", str(AS_OF), "--warehouse", url])
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.stdout)
    assert figures["models"]["model"]["auc"] > 0.68 and figures["models"]["live"]["version"] != model.version


def test_too_little_history_is_one_line_and_no_model(history_warehouse, tmp_path):
    url, _ = history_warehouse
    out = tmp_path / "fitted.yaml"
    result = CliRunner().invoke(app, ["model", "fit", "--out", str(out), "--horizon-days", "30",
                                      "--as-of", str(FIRST + timedelta(days=45)), "--warehouse", url])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: too little history to fit:") and result.stderr.count("\n") == 1
    assert not out.exists()


def test_evaluate_on_a_history_too_young_to_have_snapshots_is_one_line(history_warehouse, tmp_path):
    url, _ = history_warehouse  # two days in: no lead's snapshot date has come yet
    result = CliRunner().invoke(app, ["model", "evaluate", "--model", "config/scoring_model.yaml",
                                      "--as-of", str(FIRST + timedelta(days=2)), "--warehouse", url])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no matured 'won' outcomes to evaluate on") and result.stderr.count("\n") == 1


def test_fit_never_writes_over_the_live_model(history_warehouse, tmp_path, monkeypatch):
    url, _ = history_warehouse
    live = tmp_path / "live.yaml"
    live.write_text((Path(__file__).resolve().parents[2] / "config" / "scoring_model.yaml").read_text())
    monkeypatch.setenv("MQL_MODEL_PATH", str(live))
    before = live.read_text()
    result = CliRunner().invoke(app, ["model", "fit", "--out", str(live), "--as-of", str(AS_OF), "--warehouse", url])
    assert result.exit_code == 2 and "that is the live model file" in result.stderr
    assert live.read_text() == before


def test_fit_for_a_target_rate_takes_the_most_mqls_that_reach_it(history_warehouse, tmp_path):
    url, _ = history_warehouse
    out = tmp_path / "fitted.yaml"
    result = fit(url, out, "--target-rate", "0.3")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "fitted.report.json").read_text())
    assert report["target_rate"] == {"wanted": 0.3, "achieved": 0.3098, "entry_min_total": 68.1, "mqls": 326,
                                     "mqls_per_week": 285.2, "best_reachable": 0.6818}
    assert load_model(out).mql.entry_min_total == 68.1
    threshold = report["threshold"]  # the fitted model's own entry rule on the validation window agrees
    assert (threshold["entry_min_total"], threshold["mqls"], threshold["mql_conversion"]) == (68.1, 326, 0.3098)
    assert report["threshold_goal"] == "MQL-to-'won' conversion of at least 0.3" and "--target-rate 0.3" in \
        report["command"]
    assert "Target MQL conversion rate" in (tmp_path / "fitted.report.html").read_text()

    unreachable = fit(url, tmp_path / "other.yaml", "--target-rate", "0.9")
    assert unreachable.exit_code == 2 and unreachable.stderr.count("\n") == 1
    assert unreachable.stderr.startswith("error: --target-rate 0.9: no MQL threshold reaches it on the validation "
                                         "window; the best reachable MQL-to-'won' rate is 0.6818")
    assert not (tmp_path / "other.yaml").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--mql-per-week", "20", "--target-rate", "0.3"], "error: --mql-per-week and --target-rate both given"),
    (["--target-rate", "1.5"], "error: --target-rate 1.5: expected a conversion rate above 0 and at most 1"),
])
def test_target_rate_goal_errors_are_one_line(arguments, message, tmp_path):
    result = CliRunner().invoke(app, ["model", "fit", "--out", str(tmp_path / "m.yaml"), *arguments,
                                      "--warehouse", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "m.yaml").exists()
