"""Anomaly checks, run summary and run report: plain functions, no Prefect, no warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tasks.errors import ConfigError
from tasks.reporting.monitoring import (MonitoringConfig, check_anomalies, day_metrics, funnel_steps, load_monitoring_config,
                              render_report, reject_reasons, stage_flow, summary_markdown)

DAY = date(2026, 3, 20)


def counts(leads_in=1000, rejected=50, quarantined=10, merged=40, new_mqls=30, scored=600) -> dict:
    written = leads_in - rejected - quarantined - merged
    return {
        "extract": {"leads_in": leads_in, "activities_in": 4000, "outcomes_in": 20},
        "validate": {"leads_quarantined": quarantined, "activities_quarantined": 3, "outcomes_quarantined": 0},
        "fraud": {"leads_rejected": rejected, "activities_bot": 7, "rejected:honeypot": 30,
                  "rejected:disposable_domain": rejected - 30 + 5, "rejected:test_entry": 5},
        "dedupe": {"leads_written": written, "leads_merged": merged, "new_leads": written - 100,
                   "activities_unattributed": 0, "outcomes_unattributed": 0},
        "score": {"leads_scored": scored, "contributions": 2000},
        "qualify": {"transitions": 80, "new_mqls": new_mqls, "to:mql": new_mqls, "to:lead": 50},
        "nurture": {"enrolled": 120, "exited": 9},
        "conservation": {"leads_in": leads_in, "written": written, "merged": merged, "rejected": rejected,
                         "quarantined": quarantined},
    }


def history(days: int, **kwargs) -> pd.DataFrame:
    """run_counts rows of `days` trailing days, all alike."""
    rows = []
    for d in range(1, days + 1):
        for stage, metrics in counts(**kwargs).items():
            rows += [(f"2026-03-{20 - d:02d}", stage, metric, value) for metric, value in metrics.items()]
    return pd.DataFrame(rows, columns=["run_date", "stage", "metric", "value"])


CONFIG = MonitoringConfig.model_validate({
    "baseline_days": 14, "min_baseline_days": 5,
    "checks": {"input_volume": {"max_relative_change": 0.5}, "reject_rate": {"max_absolute_change": 0.1},
               "mql_rate": {"max_absolute_change": 0.05}}})


def test_day_metrics_are_rates_of_the_right_bases():
    assert day_metrics(counts()) == {"input_volume": 1000.0, "reject_rate": 0.05, "mql_rate": 30 / 600}


def test_a_normal_day_fires_nothing():
    report = check_anomalies(counts(leads_in=1100, new_mqls=35), history(10), CONFIG)
    assert report.checked and report.baseline_days == 10
    assert [c.metric for c in report.checks] == ["input_volume", "reject_rate", "mql_rate"]
    assert report.fired == []
    assert report.checks[0].baseline == 1000.0


def test_volume_drop_reject_spike_and_mql_jump_fire():
    report = check_anomalies(counts(leads_in=400, rejected=200, new_mqls=120), history(14), CONFIG)
    fired = {c.metric: c for c in report.fired}
    assert set(fired) == {"input_volume", "reject_rate", "mql_rate"}
    assert fired["input_volume"].value == 400 and fired["input_volume"].baseline == 1000
    assert fired["reject_rate"].value == 0.5
    assert fired["mql_rate"].message == "mql_rate 20.0% is outside its baseline 5.0% ± 5.0% points"


def test_too_little_history_checks_nothing():
    report = check_anomalies(counts(leads_in=10), history(4), CONFIG)
    assert not report.checked and report.fired == [] and report.baseline_days == 4


def test_config_errors_name_the_file_and_the_field(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text("checks:\n  mql_rate: {max_absolute_change: -1}\n")
    with pytest.raises(ConfigError, match=r"monitoring.yaml: checks.mql_rate.max_absolute_change"):
        load_monitoring_config(path)
    path.write_text("checks:\n  volume: {}\n")
    with pytest.raises(ConfigError, match=r"monitoring.yaml: checks.volume"):
        load_monitoring_config(path)
    with pytest.raises(ConfigError, match="not found"):
        load_monitoring_config(tmp_path / "none.yaml")


def test_shipped_config_loads():
    from flows.settings import CONFIG_DIR

    config = load_monitoring_config(CONFIG_DIR / "monitoring.yaml")
    assert config.baseline_days == 14 and set(config.checks) == {"input_volume", "reject_rate", "mql_rate"}


def test_stage_flow_follows_lead_rows_through_the_stages():
    flow = {row["stage"]: (row["in"], row["out"]) for row in stage_flow(counts())}
    assert flow["extract"] == (1000, 1000)
    assert flow["validate"] == (1000, 990)
    assert flow["screen"] == (990, 940)
    assert flow["dedupe"] == (940, 900)
    assert flow["qualify"] == (600, 30)
    assert funnel_steps(counts())[-1] == ("new MQLs", 30)


def test_reject_reasons_most_frequent_first():
    assert reject_reasons(counts()) == [{"reason": "honeypot", "leads": 30}, {"reason": "disposable_domain", "leads": 25},
                                        {"reason": "test_entry", "leads": 5}]


def test_summary_has_every_section_with_values():
    validation = pd.DataFrame({"suite": ["leads", "leads"], "expectation": ["expect_a", "expect_b"],
                               "column_name": ["email", None], "severity": ["row", "warn"],
                               "success": [False, True], "unexpected_count": [4, 0]})
    enrollments = pd.DataFrame({"segment": ["educational"], "enrolled": [12], "open": [80]})
    report = check_anomalies(counts(new_mqls=120), history(7), CONFIG)
    text = summary_markdown(DAY, "run-1", counts(new_mqls=120), validation, enrollments, report,
                            "/data/docs/index.html", "/reports/x.html")
    assert "1000 lead rows in; written 900, merged 40, rejected 50, quarantined 10" in text
    assert "**120 new MQLs**" in text
    assert "| validate | 1000 | 990 | quarantined: leads 10, activities 3, outcomes 0 |" in text
    assert "| honeypot | 30 |" in text
    assert "| educational | 12 | 80 |" in text
    assert "2 expectations evaluated, 1 failed." in text and "| leads | expect_a | email | row | 4 |" in text
    assert "Data Docs: `/data/docs/index.html`" in text  # a path: browsers refuse file:// links from the UI
    assert "| mql_rate | 20.0% | 5.0% | ± 5.0% points | **ANOMALY** |" in text
    assert "| input_volume | 1000 | 1000 | ± 50% | ok |" in text


def test_report_is_html_with_labelled_charts_and_the_summary_as_html():
    scores = pd.DataFrame({"fit_score": [0, 10, 20, 50], "engagement_score": [0, 0, 5, 80],
                           "total_score": [0, 10, 25, 130]})
    mqls = pd.DataFrame({"run_date": ["2026-03-18", "2026-03-19", "2026-03-19"],
                         "lead_source": ["webinar", "webinar", "paid_search"], "mqls": [3, 4, 2]})
    summary = "# MQL run\n\n**30 new MQLs** <b>x</b>\n\n| reason | leads |\n|---|---|\n| honeypot | 30 |\n"
    page = render_report(DAY, "run-1", counts(), scores, mqls, summary, (90, 30))
    assert page.startswith("<!doctype html>") and page.count("<svg") == 5 and "<script" not in page
    assert ">1000 (100%)<" in page and ">30 (3%)<" in page                          # funnel, counted
    assert ">fit score (n=4)<" in page and ">leads<" in page                         # histograms, y axis
    assert ">MQL threshold 90<" in page and ">MQL needs fit ≥ 30<" in page           # the thresholds
    assert ">2026-03-18<" in page and ">2026-03-19<" in page and ">new MQLs<" in page  # every date, y axis
    assert ">webinar<" in page and ">lead source<" in page                            # legend
    # The summary is HTML: a table, bold text; markup in it stays text.
    assert "<strong>30 new MQLs</strong>" in page and "<td>honeypot</td>" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "|---|" not in page and "**" not in page


def test_the_logical_day_is_a_plain_date_in_the_schedules_zone(monkeypatch):
    import pendulum
    from prefect.runtime import flow_run

    from flows.nightly import logical_day

    # 00:30 on 6 March in Berlin is still 5 March in UTC.
    monkeypatch.setattr(flow_run, "scheduled_start_time", pendulum.datetime(2026, 3, 5, 23, 30, tz="UTC"),
                        raising=False)
    day = logical_day("Europe/Berlin")
    assert day == date(2026, 3, 5) and type(day) is date
    assert logical_day("UTC") == date(2026, 3, 4)
