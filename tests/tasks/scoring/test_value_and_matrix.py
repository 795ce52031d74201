"""The model language's numeric measures and matrix: engagement from the activities' `value`,
points scaled by a value with a cap (fit and engagement), and the fit × engagement matrix as an
MQL entry rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tasks.errors import ConfigError
from tasks.scoring.handoff import describe_rule, reasons
from tasks.scoring.model import load_model
from tasks.scoring.qualify import qualify, review_dates
from tasks.scoring.score import derive_attributes, score_engagement, score_leads
from tests.tasks.scoring.test_model_language import SHIPPED, write

NO_STATE = pd.DataFrame(columns=["lead_id", "rule", "decayed_value", "state_date"])
RUN = date(2026, 3, 15)
TIME_ON_SITE = {"name": "time_on_site", "activity_types": ["page_view"], "measure": "value", "points_per": 1,
                "per": 60, "daily_cap": 10, "cap": 20}
LEVELS = [{"level": 1, "min_engagement": 60}, {"level": 2, "min_engagement": 30}, {"level": 3, "min_engagement": 10}]


def with_value_rules(data: dict) -> None:
    data["engagement"]["rules"].insert(0, dict(TIME_ON_SITE))
    data["engagement"]["rules"].insert(1, {"name": "pages_read", "activity_types": ["content_download"],
                                           "measure": "value", "points": 0.5})
    data["fit"]["rules"].append({"name": "web_visits", "field": "visits", "op": "scaled", "points_per": 1, "per": 10,
                                 "cap": 15})
    data["fit"]["rules"].append({"name": "staff", "field": "employee_count", "op": "scaled", "points_per": 2,
                                 "per": 1000})


def activities(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lead_id", "activity_type", "value"]).assign(asset=None, campaign=None)


def profile(lead_id: str, **values) -> dict:
    return {"lead_id": lead_id, "job_title": None, "industry": None, "employee_count": None, "annual_revenue": None,
            "country": None, "company": "Acme", "custom_attributes": "{}", **values}


def test_engagement_from_the_activities_value_decays_like_counts(tmp_path):
    """Points per 60 seconds on site, after the daily cap, carried and halved every 14 days like a
    count rule's; the rule's cap on top. An activity without a value gives none."""
    model = load_model(write(tmp_path, with_value_rules))
    today = activities(("L1", "page_view", 90.0), ("L1", "page_view", 150.0), ("L1", "page_view", None),
                       ("L2", "page_view", 1500.0), ("L3", "content_download", 7.0), ("L3", "page_view", None))
    state = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "rule": ["time_on_site"] * 3,
                          "decayed_value": [12.0, 40.0, 2.0], "state_date": ["2026-03-01"] * 3})
    rows = score_engagement(pd.Series(["L1", "L2", "L3"]), state, today, RUN, model)
    got = {(r.lead_id, r.rule): (r.raw_points, r.decay_factor, r.decayed_value, r.points) for r in rows.itertuples()}
    assert got == {
        ("L1", "time_on_site"): (4.0, 0.5, 6.0 + 4.0, 10.0),          # 240 s: 4 points
        ("L2", "time_on_site"): (10.0, 0.5, 20.0 + 10.0, 20.0),       # 25 points, 10 a day; cap 20
        ("L3", "time_on_site"): (0.0, 0.5, 1.0, 1.0),                 # no value today: the carried 1 only
        ("L3", "pages_read"): (3.5, 1.0, 3.5, 3.5),                   # 0.5 a unit
    }


def test_engagement_from_value_under_a_window(tmp_path):
    def window(data):
        with_value_rules(data)
        data["engagement"].pop("half_life_days")
        data["engagement"]["decay"] = {"window_days": 3}

    model = load_model(write(tmp_path, window))
    past = pd.DataFrame([("L1", "2026-03-13", "page_view", 600.0), ("L1", "2026-03-13", "page_view", 300.0),
                         ("L1", "2026-03-14", "page_view", 120.0), ("L1", "2026-03-12", "page_view", 6000.0)],
                        columns=["lead_id", "run_date", "activity_type", "value"]).assign(asset=None, campaign=None)
    rows = score_engagement(pd.Series(["L1"]), NO_STATE, activities(("L1", "page_view", 60.0)), RUN, model,
                            window_activities=past)
    # 03-13: 15 points capped at 10 a day; 03-14: 2; today 1; 03-12 has left the window.
    assert rows[["rule", "raw_points", "decayed_value", "points"]].values.tolist() == [
        ["time_on_site", 1.0, 13.0, 13.0]]


def test_fit_points_scaled_by_a_value_with_a_cap(tmp_path):
    model = load_model(write(tmp_path, lambda d: (with_value_rules(d), d.update(missing_values=["N/A"]))))
    frame = pd.DataFrame([
        profile("a", custom_attributes='{"visits": "45"}', employee_count="250"),
        profile("b", custom_attributes='{"visits": 400}'),
        profile("c", custom_attributes='{"visits": "N/A"}'),
        profile("d", custom_attributes='{"visits": "lots"}'),
        profile("e", custom_attributes='{"visits": -20}'),
        profile("f"),
    ])
    result = score_leads(derive_attributes(frame, model), NO_STATE, activities(), RUN, model)
    ledger = result.contributions[result.contributions["rule"].isin(["web_visits", "staff"])]
    got = {(r.lead_id, r.rule): (r.raw_points, r.decayed_value, r.points) for r in ledger.itertuples()}
    assert got == {("a", "web_visits"): (4.5, 4.5, 4.5), ("a", "staff"): (0.5, 0.5, 0.5),
                   ("b", "web_visits"): (40.0, 40.0, 15.0),             # 40 points, capped at 15
                   ("e", "web_visits"): (-2.0, -2.0, -2.0)}
    fit = result.scores.set_index("lead_id")["fit_score"]
    assert fit.to_dict() == {"a": 15.0 + 4.5 + 0.5, "b": 15.0, "c": 0.0, "d": 0.0, "e": 0.0, "f": 0.0}
    sums = result.contributions.groupby("lead_id")["points"].sum().reindex(fit.index, fill_value=0.0)
    assert sums.to_dict() == pytest.approx(result.scores.set_index("lead_id")["total_score"].to_dict())


def test_new_rules_in_words(tmp_path):
    model = load_model(write(tmp_path, with_value_rules))
    rules = {r.name: r for r in [*model.fit.rules, *model.engagement.rules]}
    assert describe_rule(rules["time_on_site"]) == "value of page view, 1 point per 60, at most 20"
    assert describe_rule(rules["pages_read"]) == "value of content download"
    assert describe_rule(rules["web_visits"]) == "visits, 1 point per 10, at most 15"
    assert describe_rule(rules["staff"]) == "employee count, 2 points per 1000"
    ledger = pd.DataFrame({"lead_id": ["a", "a"], "rule": ["time_on_site", "web_visits"], "points": [20.0, 4.5]})
    assert reasons(ledger, model).to_dict() == {
        "a": "engagement: value of page view, 1 point per 60, at most 20 +20; fit: visits, 1 point per 10, at most 15 +4"}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["engagement"]["rules"].append(dict(TIME_ON_SITE, name="x", points=3)),
     r"engagement.rules.14: Value error, rule 'x': give one of 'points' and 'points_per' with 'per'"),
    (lambda d: d["engagement"]["rules"].append({k: v for k, v in TIME_ON_SITE.items() if k != "per"}),
     r"engagement.rules.14: Value error, rule 'time_on_site': give 'points_per' and 'per'"),
    (lambda d: d["engagement"]["rules"].append(dict(TIME_ON_SITE, measure="seconds")),
     r"engagement.rules.14.measure: Input should be 'count' or 'value'"),
    (lambda d: d["engagement"]["rules"].append(dict(TIME_ON_SITE, per=0)),
     r"engagement.rules.14.per: Input should be greater than 0"),
    (lambda d: d["fit"]["rules"].append({"name": "v", "field": "visits", "op": "scaled", "points_per": 1}),
     r"fit.rules.14: Value error, rule 'v': give 'points_per' and 'per'"),
    (lambda d: d["fit"]["rules"].append({"name": "v", "field": "visits", "op": "scaled", "per": 5}),
     r"fit.rules.14: Value error, rule 'v': op 'scaled' needs 'points_per'"),
    (lambda d: d["fit"]["rules"].append({"name": "v", "field": "visits", "op": "scaled", "points_per": 1, "per": 5,
                                         "points": 3}),
     r"rule 'v': op 'scaled' gives points_per points for every per: leave out 'points'"),
    (lambda d: d["fit"]["rules"].append({"name": "v", "field": "visits", "op": "missing", "points": 1, "cap": 5}),
     r"rule 'v': 'cap' goes with op 'scaled'"),
    (lambda d: d["fit"]["rules"].append({"name": "v", "field": "visits", "op": "missing", "points": 1, "per": 5}),
     r"rule 'v': 'per' go with op 'scaled'"),
    (lambda d: d["mql"].update(matrix=["A1"]), r"mql.matrix: needs engagement_levels"),
    (lambda d: d.update(engagement_levels=LEVELS) or d["mql"].update(matrix=["A1", "E2", "B5"]),
     r"mql.matrix: E2, B5 not a cell: a grade \(A, B, C, D\) and an engagement level \(1, 2, 3, 4\), e.g. A1"),
    (lambda d: d.update(engagement_levels=[LEVELS[1], LEVELS[0]]),
     r"engagement_levels: list levels 1 to 3 in order, each with a lower min_engagement"),
    (lambda d: d.update(engagement_levels=[{"level": 4, "min_engagement": 0}]),
     r"engagement_levels.0.level: Input should be less than 4"),
    (lambda d: d["mql"].pop("entry_min_total"), r"mql: Value error, give an entry rule"),
])
def test_bad_new_constructs_fail_at_load_in_one_line(tmp_path, change, message):
    with pytest.raises(ConfigError, match=r"model.yaml: .*" + message) as error:
        load_model(write(tmp_path, change))
    assert "\n" not in str(error.value)


def matrix_model(tmp_path: Path, total: float | None = 90, exit_below: float = 60):
    def change(data):
        data["engagement_levels"] = LEVELS
        data["mql"].update(matrix=["A1", "A2", "B1"], exit_below_total=exit_below)
        if total is None:
            data["mql"].pop("entry_min_total")
        else:
            data["mql"]["entry_min_total"] = total

    return load_model(write(tmp_path, change))


def test_scores_carry_the_matrix_cell(tmp_path):
    model = matrix_model(tmp_path)
    frame = derive_attributes(pd.DataFrame([
        profile("a", job_title="CEO", country="US", industry="Software", employee_count="5000"),  # fit 25+10+15+20
        profile("b", job_title="CEO", country="US"),                                              # fit 35
        profile("c"),
    ]), model)
    today = pd.DataFrame({"lead_id": ["a", "a", "b", "c"], "activity_type": ["demo_request", "pricing_page_view",
                                                                             "webinar_attended", "page_view"],
                          "asset": None})
    scores = score_leads(frame, NO_STATE, today, RUN, model).scores.set_index("lead_id")
    assert scores[["fit_score", "engagement_score", "grade", "matrix_cell"]].values.tolist() == [
        [70.0, 50.0, "A", "A2"], [35.0, 15.0, "C", "C3"], [0.0, 1.0, "D", "D4"]]
    # Without engagement levels there is no matrix: no cell.
    shipped = load_model(SHIPPED)
    assert score_leads(frame, NO_STATE, today, RUN, shipped).scores["matrix_cell"].isna().all()


T0 = pd.Timestamp("2026-03-15T09:00:00Z")
T1 = pd.Timestamp("2026-03-15T15:00:00Z")
NO_OUTCOMES = pd.DataFrame(columns=["lead_id", "occurred_at", "status", "reason"])


def staged(*rows: tuple[str, str | None, float, float, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    leads = pd.DataFrame([{"lead_id": lead, "lifecycle_stage": stage, "stage_changed_at": T0,
                           "first_mql_at": T0 if stage == "mql" else pd.NaT,
                           "last_mql_at": T0 if stage == "mql" else pd.NaT, "created_at": T0, "event_at": T1}
                          for lead, stage, *_ in rows])
    scores = pd.DataFrame([(lead, fit, total, cell) for lead, _, fit, total, cell in rows],
                          columns=["lead_id", "fit_score", "total_score", "matrix_cell"])
    return leads, scores


def test_the_matrix_enters_mql_besides_or_in_place_of_the_total(tmp_path):
    """A listed cell enters MQL whatever the total; the total rule still enters with its fit; an
    MQL whose cell still enters stays one below the exit level. `back` and `low_fit` have an
    outcome today that leaves them where they are (lost, already recycled): the lead-by-lead path
    applies the same rule."""
    leads, scores = staged(("by_cell", "lead", 60, 80, "A2"), ("by_total", "lead", 40, 95, "B2"),
                           ("neither", None, 45, 85, "B2"), ("held", "mql", 60, 50, "A2"),
                           ("left", "mql", 30, 50, "C3"), ("back", "recycled", 45, 70, "B1"),
                           ("low_fit", "recycled", 20, 120, "C1"))
    outcomes = pd.DataFrame({"lead_id": ["back", "low_fit"], "occurred_at": T0, "status": "lost", "reason": None})
    for model, expected in (
        (matrix_model(tmp_path), {"by_cell": "mql", "by_total": "mql", "neither": "lead", "held": "mql",
                                  "left": "recycled", "back": "mql", "low_fit": "recycled"}),
        (matrix_model(tmp_path, total=None), {"by_cell": "mql", "by_total": "lead", "neither": "lead",
                                              "held": "mql", "left": "recycled", "back": "mql",
                                              "low_fit": "recycled"}),
    ):
        result = qualify(leads, scores, outcomes, model)
        assert result.leads.set_index("lead_id")["lifecycle_stage"].to_dict() == expected
        details = result.events[result.events["cause"] == "score"].set_index("lead_id")["detail"].to_dict()
        assert details["by_cell"] == "cell A2 in the matrix" and details["back"] == "cell B1 in the matrix"
        assert details["left"] == "total 50.0 < 60" and "held" not in details
        assert details.get("by_total") == ("total 95.0 >= 90" if model.mql.entry_min_total is not None else None)


def test_review_dates_wait_for_the_cell_to_leave_the_matrix(tmp_path):
    """A1/A2 enter; fit 60 (grade A) with 40 engagement points: total 100 is under the exit level
    (110) from the first day, but level 2 (30 or more) holds until 40 * 0.5 ** (d / 14) < 30, day 6."""
    model = matrix_model(tmp_path, total=None, exit_below=110)
    leads = pd.DataFrame({"lead_id": ["m", "n"], "lifecycle_stage": ["mql", "mql"], "fit_score": [60.0, 35.0]})
    engagement = pd.DataFrame({"lead_id": ["m", "n"], "rule": ["trial_signup", "trial_signup"],
                               "decayed_value": [40.0, 40.0]})
    assert review_dates(leads, engagement, RUN, model).tolist() == ["2026-03-21", "2026-03-16"]


def test_snapshots_score_value_rules_and_cells_as_the_night_does(tmp_path):
    """`mql model fit` / `evaluate` score snapshots with any model: a value rule's points come from
    the stored values, after the daily cap and decay, as the nightly scorer's do; the matrix
    cell comes along. (The fit itself learns from counts only.)"""
    from tasks.reporting.model_quality import threshold_figures
    from tasks.scoring import fitting
    from tests.tasks.scoring.history import FIRST, made_up_history

    def value_model(data):
        data["engagement"]["rules"].insert(0, {"name": "demo_minutes", "activity_types": ["demo_request"],
                                               "measure": "value", "points_per": 3, "per": 2, "daily_cap": 10,
                                               "cap": 25})
        data["engagement_levels"] = LEVELS
        data["mql"] = {"matrix": ["A1", "B1", "C1", "D1", "A2"], "exit_below_total": 40}

    model = load_model(write(tmp_path, value_model))
    history, acts, outcomes, _ = made_up_history(leads=60)
    acts = acts.assign(value=[(i % 13) * 1.5 if i % 5 else None for i in range(len(acts))])
    config = fitting.FitConfig(snapshot_days=7, min_positives=5)
    training = fitting.training_set(history, acts, outcomes, "won", 30, FIRST + pd.Timedelta(days=69), config)
    scored = fitting.snapshot_scores(training, model).set_index("lead_id")
    acts = training.activities
    busy = acts.groupby("lead_id")["run_date"].nunique().sort_values(ascending=False).index[:6]
    assert acts.groupby("lead_id")["run_date"].nunique().max() > 1 and scored["engagement_score"].max() > 10
    for lead in busy:
        profile = derive_attributes(training.snapshots[training.snapshots["lead_id"] == lead], model)
        state = NO_STATE
        for day in sorted(acts.loc[acts["lead_id"] == lead, "run_date"].unique()):
            today = acts[(acts["lead_id"] == lead) & (acts["run_date"] == day)]
            rows = score_leads(profile, state, today, pd.Timestamp(day).date(), model).contributions
            state = rows[rows["kind"] == "engagement"][["lead_id", "rule", "decayed_value"]].assign(
                state_date=pd.Timestamp(day).date().isoformat())
        snap = training.snapshots.loc[training.snapshots["lead_id"] == lead, "snapshot_date"].iloc[0]
        night = score_leads(profile, state, acts.iloc[0:0], pd.Timestamp(snap).date(), model).scores.iloc[0]
        assert scored.loc[lead, "engagement_score"] == pytest.approx(night["engagement_score"], abs=1e-9)
        assert scored.loc[lead, "matrix_cell"] == night["matrix_cell"]
    # A model that enters MQL by its matrix alone has no total threshold to measure.
    figures = threshold_figures(scored["total_score"], scored["fit_score"], scored["label"].fillna(0), 4.0,
                                model.mql.entry_min_total, model.mql.entry_min_fit)
    assert figures["entry_min_total"] is None and "matrix only" in figures["note"]
