"""The dashboard across run dates: labelled charts rendered offline, a row and links per run date."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tasks.reporting.dashboard import (daily_frame, latest_runs, ranking_auc, ranking_frame, render_dashboard,
                                       source_frame)
from tasks.reporting.evaluate import roc_auc
from tasks.reporting.monitoring import MonitoringConfig

CONFIG = MonitoringConfig.model_validate({"baseline_days": 14, "min_baseline_days": 2,
                                          "checks": {"mql_rate": {"max_absolute_change": 0.05}}})


def counts_rows(run_id: str, leads_in: int, new_mqls: int, rejected: int = 10) -> list[tuple]:
    written = leads_in - rejected - 5
    metrics = {("conservation", "leads_in"): leads_in, ("conservation", "written"): written,
               ("conservation", "merged"): 5, ("conservation", "rejected"): rejected,
               ("conservation", "quarantined"): 0, ("score", "leads_scored"): 100,
               ("qualify", "new_mqls"): new_mqls, ("fraud", "rejected:honeypot"): rejected}
    return [(run_id, stage, metric, value) for (stage, metric), value in metrics.items()]


def frames(tmp_path: Path):
    days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    runs = pd.DataFrame({
        "run_id": ["r1", "r2", "r3", "r3-old", "r4"],
        "run_date": [days[0], days[1], days[2], days[2], days[3]],
        "started_at": ["2026-03-03T01", "2026-03-04T01", "2026-03-05T02", "2026-03-05T01", "2026-03-06T01"],
        "report_path": [str(tmp_path / d / "r.html") for d in (days[0], days[1], days[2], days[2], days[3])],
        "data_docs_path": [str(tmp_path / "data_docs" / d / "x" / "index.html") for d in days[:3] + days[2:]],
    })
    counts = pd.DataFrame(counts_rows("r1", 300, 10) + counts_rows("r2", 320, 11) + counts_rows("r3", 310, 10)
                          + counts_rows("r3-old", 999, 99) + counts_rows("r4", 305, 40),
                          columns=["run_id", "stage", "metric", "value"])
    counts = counts[~((counts["run_id"] == "r2") & (counts["stage"] == "fraud"))]  # a day without rejects
    return latest_runs(runs), counts


def test_each_run_date_counts_its_latest_run_and_marks_its_anomalies(tmp_path):
    runs, counts = frames(tmp_path)
    assert runs["run_id"].tolist() == ["r1", "r2", "r3", "r4"]
    daily = daily_frame(runs, counts, CONFIG)
    assert daily["leads_in"].tolist() == [300, 320, 310, 305]
    assert daily["new_mqls"].tolist() == [10, 11, 10, 40]
    assert daily["mql_rate"].tolist() == [0.10, 0.11, 0.10, 0.40]
    assert [len(r) for r in daily["rejects"]] == [1, 0, 1, 1]
    # The older run of 2026-03-04 (999 rows) counts nowhere; only the jump to 40 % fires.
    assert daily["anomalies"].tolist()[:3] == ["", "", ""]
    assert daily["anomalies"][3] == "mql_rate 40.0% is outside its baseline 10.0% ± 5.0% points"


# Leads by their first-day score: 100 leads in six whole scores, better scores converting more.
SCORED = pd.DataFrame({"score": [0.0, 10.0, 20.0, 40.0, 60.0, 90.0], "leads": [20, 20, 20, 10, 20, 10],
                       "sales_accepted": [0, 2, 3, 3, 8, 6], "won": [0, 0, 1, 1, 2, 3]})


def test_score_bands_hold_about_equal_leads_and_never_split_a_score():
    bands = ranking_frame(SCORED, bands=4)
    assert bands["band"].tolist() == ["0 to 10", "20", "40 to 60", "90"]
    assert bands["leads"].tolist() == [40, 20, 30, 10] and bands["won"].tolist() == [0, 1, 3, 3]
    assert ranking_frame(SCORED.iloc[:0]).empty


def test_the_ranking_auc_from_grouped_counts_equals_the_auc_of_the_leads():
    leads = SCORED.loc[SCORED.index.repeat(SCORED["leads"])].reset_index(drop=True)
    for outcome in ("sales_accepted", "won"):
        rank = leads.groupby("score").cumcount()
        positive = pd.Series(rank < leads["score"].map(SCORED.set_index("score")[outcome]))
        assert ranking_auc(SCORED, outcome) == pytest.approx(roc_auc(leads["score"], positive))
    assert ranking_auc(SCORED.assign(won=0), "won") is None


def test_the_page_is_self_contained_with_labelled_charts_and_working_links(tmp_path):
    runs, counts = frames(tmp_path)
    for path in [*runs["report_path"], *runs["data_docs_path"]]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("<html></html>")
    by_source = source_frame(pd.DataFrame({"value": ["webinar", "paid_search"], "leads": [40, 60], "mqls": [10, 3],
                                           "mql_rate": [0.25, 0.05]}))
    cohorts = pd.DataFrame({"value": ["2026-03-02", "2026-03-03"], "leads": [300, 320], "mqls": [10, 11],
                            "sales_accepted": [4, 2], "won": [1, 0]})
    page = render_dashboard(daily_frame(runs, counts, CONFIG), runs, by_source, cohorts, SCORED, tmp_path, "now")
    assert page.count("<svg") == 7
    assert "<script" not in page and not re.search(r"(src|href)=\"https?:", page)
    for label in ("lead rows", "rejected lead rows", "new MQLs", "MQL rate (new MQLs / leads scored)",
                  "lead source", "cohort (first run date)", "2026-03-05", "10 of 40 leads (25.0%)", "40.0%",
                  "score on the lead's first run date (bands of about equal leads)", "share of the band's leads",
                  "40 to 60", "90", "sales accepted", "11 of 30", "3 of 30"):
        assert f">{label}<" in page, label
    links = re.findall(r'href="([^"]+)"', page)
    assert len(links) == 8 and all((tmp_path / link).is_file() for link in links)
    assert links[0] == "2026-03-02/r.html" and links[1] == "data_docs/2026-03-02/x/index.html"
