"""The run report's watch of the live model: its ranking on the latest matured cohort, read from the
warehouse (SQLite and PostgreSQL), against the cohort before it or a configured baseline."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from tasks.errors import ConfigError
from tasks.reporting.monitoring import (AnomalyReport, ModelRankingCheck, anomaly_markdown, load_monitoring_config,
                                        render_report)
from tasks.reporting.ranking import (Cohort, cohort_windows, ranking_markdown, ranking_report_chart, read_cohorts,
                                     watch_ranking)
from tasks.warehouse.connection import bulk_insert, open_warehouse
from tests.ops.test_monitoring import counts
from tests.ops.test_views import filled

RUN_DATE = date(2026, 4, 30)
CONFIG = ModelRankingCheck(horizon_days=30, cohort_days=7, min_positives=3, max_auc_drop=0.05)
SCORES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
# first run date -> the scores of its leads that reached sales acceptance (the top two of them also won)
LATEST = ("2026-03-27", {10, 60, 90, 100})       # ranks worse: 16 of 24 pairs, AUC 0.667
PREVIOUS = ("2026-03-20", {70, 80, 90, 100})     # ranks perfectly: AUC 1
UNRIPE = ("2026-04-01", {10, 20, 30})            # younger than the horizon: never counted


def test_the_cohorts_are_the_dates_a_horizon_before_the_run_date():
    assert cohort_windows(RUN_DATE, CONFIG) == ((date(2026, 3, 25), date(2026, 3, 31)),
                                                (date(2026, 3, 18), date(2026, 3, 24)))


@pytest.fixture
def matured(warehouse):
    """Three cohorts of ten leads scored 10 to 100 on their first run date; some reached sales
    acceptance (and the two best-scored of those were won)."""
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    leads, events, scores = [], [], []
    for day, reached in (LATEST, PREVIOUS, UNRIPE):
        created = pd.Timestamp(day + "T08:00Z")
        for score in SCORES:
            lead = f"{day}-{score}"
            leads.append({"lead_id": lead, "lead_source": "webinar", "first_run_date": day, "last_run_date": day,
                          "created_at": created, "lifecycle_stage": "lead"})
            scores.append({"run_date": day, "lead_id": lead, "total_score": score + 0.2, "grade": "B",
                           "model_version": "v1"})
            stages = ["sales_accepted", "customer"] if score in sorted(reached)[-2:] else ["sales_accepted"]
            for seq, stage in enumerate(stages if score in reached else []):
                events.append({"run_date": day, "lead_id": lead, "seq": seq, "to_stage": stage,
                               "occurred_at": created + pd.Timedelta(days=seq + 1), "cause": "outcome"})
    with engine.begin() as conn:
        for table, rows in (("leads", leads), ("mql_events", events), ("lead_scores", scores)):
            bulk_insert(conn, table, filled(engine, schema, table, pd.DataFrame(rows)))
    yield engine
    engine.dispose()


def test_the_report_shows_the_latest_matured_cohorts_ranking_and_a_worse_ranking_fires(matured):
    with matured.connect() as conn:
        current, previous = read_cohorts(conn, RUN_DATE, CONFIG)
    assert (current.leads, current.positives("sales_accepted"), current.positives("won")) == (10, 4, 2)
    assert current.auc("sales_accepted") == pytest.approx(16 / 24)
    assert current.auc("won") == pytest.approx(16 / 16)    # won: scored 90 and 100
    assert previous.auc("sales_accepted") == pytest.approx(1.0) and previous.leads == 10

    watch = watch_ranking(current, previous, CONFIG)
    assert watch.check is not None and watch.check.fired and watch.skipped is None
    assert watch.check.message == "ranking_auc 0.667 fell below its baseline 1.000 by more than 0.05"
    text = ranking_markdown(watch)
    assert ("## Live model ranking: latest matured cohort (first run dates 2026-03-25 to 2026-03-31, "
            "matured 30 days)") in text
    assert "| latest: 2026-03-25 to 2026-03-31 | 10 | 4 | 2 | 0.667 | 1.000 |" in text
    assert "| previous: 2026-03-18 to 2026-03-24 | 10 | 4 | 2 | 1.000 | 1.000 |" in text
    assert "| 10 to 20 | 2 | 1 (50.0%) | 0 (0.0%) |" in text          # five bands of two leads
    assert "| 90 to 100 | 2 | 2 (100.0%) | 2 (100.0%) |" in text
    assert ("AUC check (sales accepted): 0.667 against the previous cohort (first run dates 2026-03-18 to "
            "2026-03-24) 1.000, allowed drop 0.05: **ANOMALY**") in text

    # Recorded as the other anomalies are: in the report's checks, the warning artifact and the page.
    anomalies = AnomalyReport(10, True, (), (watch.check,))
    assert anomalies.fired == [watch.check]
    assert "- ranking_auc 0.667 fell below" in anomaly_markdown(RUN_DATE, anomalies, failing=False)
    page = render_report(RUN_DATE, "run-1", counts(), pd.DataFrame({"total_score": [1.0]}), pd.DataFrame(),
                         text, ranking=ranking_report_chart(watch))
    assert ("Live model on the latest matured cohort (first run dates 2026-03-25 to 2026-03-31): conversion by "
            "score band (10 leads; ROC AUC sales accepted 0.67, won 1.00)") in page
    assert "<td>latest: 2026-03-25 to 2026-03-31</td>" in page and "<strong>ANOMALY</strong>" in page

    # Within the margin: the same cohorts against a baseline 0.70 are fine.
    kept = watch_ranking(current, previous, CONFIG.model_copy(update={"baseline_auc": 0.70}))
    assert kept.check is not None and not kept.check.fired and kept.check.baseline == 0.70
    assert "0.667 against the configured baseline 0.700, allowed drop 0.05: ok" in ranking_markdown(kept)


def scored(*won_and_leads: tuple[float, int, int]) -> pd.DataFrame:
    return pd.DataFrame([{"score": s, "leads": n, "sales_accepted": p, "won": 0} for s, n, p in won_and_leads])


def test_too_few_positives_skips_the_check_and_says_why():
    current = Cohort(date(2026, 3, 25), date(2026, 3, 31), scored((10, 50, 1), (90, 50, 1)))
    previous = Cohort(date(2026, 3, 18), date(2026, 3, 24), scored((10, 50, 0), (90, 50, 40)))
    watch = watch_ranking(current, previous, CONFIG)
    assert watch.check is None
    assert watch.skipped == ("the latest matured cohort (first run dates 2026-03-25 to 2026-03-31) has 2 of 100 "
                             "leads that reached sales accepted, fewer than the 3 needed (model_ranking.min_positives)")
    assert f"AUC check (sales accepted): not checked: {watch.skipped}." in ranking_markdown(watch)
    assert AnomalyReport(10, True, (), ()).fired == []
    # The previous cohort counts too; an empty cohort is no error.
    watch = watch_ranking(previous, Cohort(date(2026, 3, 11), date(2026, 3, 17), scored().reindex(
        columns=["score", "leads", "sales_accepted", "won"])), CONFIG)
    assert watch.check is None and watch.skipped.startswith("the previous cohort (first run dates 2026-03-11 to "
                                                            "2026-03-17) has 0 of 0 leads")
    assert "AUC check" in ranking_markdown(watch)


def test_the_ranking_config_is_validated_like_the_others(tmp_path):
    path = tmp_path / "monitoring.yaml"
    for text, where in (("model_ranking: {max_auc_drop: 0}\n", "model_ranking.max_auc_drop"),
                        ("model_ranking: {outcome: mql}\n", "model_ranking.outcome"),
                        ("model_ranking: {horizon_days: 0}\n", "model_ranking.horizon_days"),
                        ("model_ranking: {min_positive: 5}\n", "model_ranking.min_positive")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=rf"monitoring.yaml: {where}"):
            load_monitoring_config(path)
    from flows.settings import CONFIG_DIR

    shipped = load_monitoring_config(CONFIG_DIR / "monitoring.yaml").model_ranking
    assert (shipped.horizon_days, shipped.cohort_days, shipped.max_auc_drop, shipped.baseline_auc) == (30, 7, 0.05, None)
    assert RUN_DATE - timedelta(days=shipped.horizon_days) == date(2026, 3, 31)
