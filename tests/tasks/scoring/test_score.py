from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tasks.errors import ConfigError
from tasks.scoring.model import SAFE_YAML_LOADER, load_model
from tasks.scoring.score import derive_attributes, score_engagement, score_leads

MODEL = load_model(Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml")
NO_STATE = pd.DataFrame(columns=["lead_id", "rule", "decayed_value", "state_date"])


def profile(**values) -> dict:
    base = {"lead_id": "L1", "job_title": None, "industry": None, "employee_count": None, "annual_revenue": None,
            "country": None, "company": "Acme", "custom_attributes": "{}"}
    return {**base, **values}


def activities(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"lead_id": lead, "activity_type": kind, "asset": None} for lead, kind in rows],
                        columns=["lead_id", "activity_type", "asset"])


def test_derived_seniority_and_department():
    frame = derive_attributes(pd.DataFrame([
        profile(job_title="VP of Marketing"), profile(lead_id="L2", job_title="Marketing Intern"),
        profile(lead_id="L3", job_title="Chief Technology Officer"), profile(lead_id="L4", job_title=None),
    ]), MODEL)
    assert frame["seniority"].tolist() == ["vp", "student", "c_level", None]
    assert frame["department"].tolist() == ["marketing", "marketing", None, None]


def test_fit_rules_each_operator_and_cap_rows_sum_to_score():
    leads = derive_attributes(pd.DataFrame([
        profile(job_title="CEO", industry="software", employee_count="5000", annual_revenue="9e7", country="US"),
        profile(lead_id="L2", job_title="Student", industry="Education", company=None),
    ]), MODEL)
    result = score_leads(leads, NO_STATE, activities(), date(2026, 3, 2), MODEL)
    ledger = result.contributions
    rules_l1 = set(ledger.loc[ledger["lead_id"] == "L1", "rule"])
    assert {"industry_core", "size_enterprise", "revenue_over_50m", "seniority_executive", "core_region"} <= rules_l1
    assert set(ledger.loc[ledger["lead_id"] == "L2", "rule"]) == {"industry_low", "seniority_student", "no_company",
                                                                    "fit_cap"}
    scores = result.scores.set_index("lead_id")
    assert scores.loc["L1", "fit_score"] == 15 + 20 + 10 + 25 + 10  # no buying department in "CEO"
    assert scores.loc["L2", "fit_score"] == 0                       # floored at zero by a cap row
    assert scores.loc["L1", "grade"] == "A" and scores.loc["L2", "grade"] == "D"
    sums = ledger.groupby("lead_id")["points"].sum()
    assert sums.to_dict() == pytest.approx(scores["total_score"].to_dict())


def test_engagement_decays_by_half_life_and_adds_today():
    state = pd.DataFrame({"lead_id": ["L1"], "rule": ["pricing_page"], "decayed_value": [20.0],
                          "state_date": ["2026-03-01"]})
    rows = score_engagement(pd.Series(["L1"]), state, activities(("L1", "pricing_page_view")),
                            date(2026, 3, 15), MODEL)  # 14 days later: one half-life
    row = rows.set_index("rule").loc["pricing_page"]
    assert row["decay_factor"] == pytest.approx(0.5)
    assert row["decayed_value"] == pytest.approx(20.0 * 0.5 + 10.0)
    assert row["points"] == pytest.approx(20.0)


def test_daily_and_rule_caps_and_negative_rules():
    many = activities(*[("L1", "pricing_page_view")] * 5, *[("L1", "unsubscribe")] * 3)
    rows = score_engagement(pd.Series(["L1"]), NO_STATE, many, date(2026, 3, 2), MODEL).set_index("rule")
    assert rows.loc["pricing_page", "raw_points"] == 20.0      # 5 x 10 capped at 20 a day
    assert rows.loc["unsubscribe", "raw_points"] == -60.0      # no daily cap ...
    assert rows.loc["unsubscribe", "points"] == -20.0          # ... but the rule holds at most 20 (negative) points
    state = pd.DataFrame({"lead_id": ["L1"], "rule": ["pricing_page"], "decayed_value": [35.0],
                          "state_date": ["2026-03-02"]})
    capped = score_engagement(pd.Series(["L1"]), state, activities(("L1", "pricing_page_view")),
                              date(2026, 3, 2), MODEL).set_index("rule")
    assert capped.loc["pricing_page", "decayed_value"] == 45.0 and capped.loc["pricing_page", "points"] == 40.0


def test_faded_state_is_dropped():
    state = pd.DataFrame({"lead_id": ["L1"], "rule": ["page_view"], "decayed_value": [1.0],
                          "state_date": ["2025-01-01"]})
    assert score_engagement(pd.Series(["L1"]), state, activities(), date(2026, 3, 2), MODEL).empty


def test_model_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "model.yaml"
    text = (Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml").read_text()
    bad.write_text(text.replace("half_life_days: 14", "half_life_days: -3"))
    with pytest.raises(ConfigError, match=r"model.yaml: engagement.half_life_days: Input should be greater than 0"):
        load_model(bad)
    bad.write_text(text.replace("activity_types: [trial_signup]", "activity_types: [trial_sign_up]"))
    with pytest.raises(ConfigError, match=r"engagement.rules.1.activity_types: .*unknown activity type"):
        load_model(bad)
    bad.write_text("version: [unclosed")
    with pytest.raises(ConfigError, match="not a readable YAML file"):
        load_model(bad)
    # Config files are read by libyaml's safe loader where PyYAML has it (these wheels do): a tag that
    # would build a Python object is refused.
    assert yaml.__with_libyaml__ and SAFE_YAML_LOADER is yaml.CSafeLoader
    bad.write_text("version: !!python/object/apply:os.getcwd []")
    with pytest.raises(ConfigError, match="not a readable YAML file"):
        load_model(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_model(tmp_path / "absent.yaml")


def test_scores_stay_with_their_lead_whatever_the_order():
    leads = derive_attributes(pd.DataFrame([
        profile(lead_id="z", job_title="CEO", country="US"), profile(lead_id="a", job_title="Student"),
        profile(lead_id="m", industry="Software"),
    ]), MODEL)
    result = score_leads(leads, NO_STATE, activities(("a", "demo_request")), date(2026, 3, 2), MODEL)
    scores = result.scores.set_index("lead_id")
    assert result.scores["lead_id"].tolist() == ["z", "a", "m"]
    assert scores.loc["z", "fit_score"] == 35 and scores.loc["a", "engagement_score"] == 40
    assert scores.loc["m", "fit_score"] == 15 and scores.loc["a", "fit_score"] == 0
    assert result.contributions.groupby("lead_id")["points"].sum().to_dict() == pytest.approx(
        scores["total_score"].to_dict())


def test_pattern_rule_and_custom_attributes(tmp_path):
    text = (Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml").read_text()
    extra = ("    - {name: data_title, field: job_title, op: pattern, pattern: 'data|analytics', points: 7}\n"
             "    - {name: pro_plan, field: plan, op: in, values: [pro, enterprise], points: 4}\n")
    path = tmp_path / "model.yaml"
    path.write_text(text.replace("    - {name: no_company,", extra + "    - {name: no_company,"))
    model = load_model(path)
    leads = derive_attributes(pd.DataFrame([
        profile(job_title="Head of Data", custom_attributes='{"plan": "Pro"}'),
        profile(lead_id="L2", job_title="Sales rep", custom_attributes="{}"),
    ]), model)
    ledger = score_leads(leads, NO_STATE, activities(), date(2026, 3, 2), model).contributions
    assert {"data_title", "pro_plan"} <= set(ledger.loc[ledger["lead_id"] == "L1", "rule"])
    assert not {"data_title", "pro_plan"} & set(ledger.loc[ledger["lead_id"] == "L2", "rule"])


def test_asset_and_campaign_patterns_pick_the_first_matching_rule():
    frame = pd.DataFrame({
        "lead_id": ["L1"] * 4,
        "activity_type": ["page_view", "page_view", "email_click", "email_click"],
        "asset": ["/vs/rival", "/blog/x", "newsletter", "newsletter"],
        "campaign": [None, None, "partner-q1", "spring"],
    })
    rows = score_engagement(pd.Series(["L1"]), NO_STATE, frame, date(2026, 3, 2), MODEL).set_index("rule")
    assert rows.loc["competitor_comparison", "raw_points"] == -5.0
    assert rows.loc["page_view", "raw_points"] == 1.0
    assert rows.loc["partner_campaign", "raw_points"] == 6.0
    assert rows.loc["email_click", "raw_points"] == 3.0


def window_model(tmp_path, days: int = 7):
    text = (Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml").read_text()
    path = tmp_path / "model.yaml"
    path.write_text(text.replace("half_life_days: 14 ", f"decay: {{window_days: {days}}}"))
    return load_model(path)


def test_window_decay_counts_only_the_last_days(tmp_path):
    model = window_model(tmp_path)
    past = pd.DataFrame([
        ("L1", "2026-03-09", "pricing_page_view"), ("L1", "2026-03-09", "pricing_page_view"),
        ("L1", "2026-03-09", "pricing_page_view"),                      # 6 days before: 30 capped at 20 a day
        ("L1", "2026-03-10", "pricing_page_view"), ("L1", "2026-03-09", "webinar_attended"),
        ("L1", "2026-03-08", "demo_request"), ("L1", "2026-03-08", "pricing_page_view"),  # 7 days before: out
        ("L2", "2026-03-14", "unsubscribe"), ("L3", "2026-03-14", "demo_request"),  # L3 not scored
    ], columns=["lead_id", "run_date", "activity_type"]).assign(asset=None, campaign=None)
    # A carried half-life state is not read under a window.
    state = pd.DataFrame({"lead_id": ["L1"], "rule": ["trial_signup"], "decayed_value": [35.0],
                          "state_date": ["2026-03-14"]})
    rows = score_engagement(pd.Series(["L1", "L2"]), state, activities(("L1", "pricing_page_view")),
                            date(2026, 3, 15), model, window_activities=past)
    got = {(r.lead_id, r.rule): (r.raw_points, r.decay_factor, r.decayed_value, r.points) for r in rows.itertuples()}
    assert got == {("L1", "pricing_page"): (10.0, 1.0, 20.0 + 10.0 + 10.0, 40.0),
                   ("L1", "webinar_attended"): (0.0, 1.0, 15.0, 15.0),
                   ("L2", "unsubscribe"): (0.0, 1.0, -20.0, -20.0)}
    later = score_engagement(pd.Series(["L1"]), NO_STATE, activities(), date(2026, 3, 16), model,
                             window_activities=past)
    assert later[["rule", "decayed_value"]].values.tolist() == [["pricing_page", 10.0]]  # 03-10 only


def test_window_scores_and_review_dates(tmp_path):
    from tasks.scoring.qualify import review_dates

    model = window_model(tmp_path, days=5)
    leads = derive_attributes(pd.DataFrame([profile(job_title="CEO", country="US"),                    # fit 35
                                            profile(lead_id="L2", job_title="CEO", country="US")]), model)
    past = pd.DataFrame([("L1", "2026-03-12", "pricing_page_view"), ("L1", "2026-03-12", "pricing_page_view"),
                         ("L2", "2026-03-11", "trial_signup")],
                        columns=["lead_id", "run_date", "activity_type"]).assign(asset=None, campaign=None)
    scored = score_leads(leads, NO_STATE, activities(("L1", "demo_request"), ("L2", "demo_request")),
                         date(2026, 3, 15), model, past)
    totals = scored.scores.set_index("lead_id")["total_score"]
    assert totals.to_dict() == {"L1": 35 + 40 + 20, "L2": 35 + 40 + 35}
    assert sorted(scored.window["day"].dt.strftime("%m-%d")) == ["03-11", "03-12", "03-15", "03-15"]
    staged = pd.DataFrame({"lead_id": ["L1", "L2"], "lifecycle_stage": ["mql", "mql"], "fit_score": [35.0, 35.0]})
    engagement = scored.contributions[scored.contributions["kind"] == "engagement"]
    due = review_dates(staged, engagement, date(2026, 3, 15), model, scored.window)
    # L1: the pricing day leaves on 03-17 (75 stays above 60); today's demo leaves on 03-20 (35).
    # L2: the trial day leaves on 03-16 (75), the demo on 03-20.
    assert due.tolist() == ["2026-03-20", "2026-03-20"]
    staged["fit_score"] = [15.0, 35.0]
    assert review_dates(staged, engagement, date(2026, 3, 15), model, scored.window).tolist() == [
        "2026-03-17", "2026-03-20"]


def test_decay_is_half_life_or_window(tmp_path):
    text = (Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml").read_text()
    bad = tmp_path / "model.yaml"
    for wrong in ("half_life_days: 14\n  decay: {window_days: 7}", "decay: {window_days: 0}", "cap: 100"):
        bad.write_text(text.replace("half_life_days: 14 ", wrong, 1) if wrong != "cap: 100"
                       else text.replace("  half_life_days: 14 ", "  ", 1))
        with pytest.raises(ConfigError, match=r"model.yaml: engagement(.decay.window_days)?: ") as error:
            load_model(bad)
        assert "\n" not in str(error.value)


def test_decay_weights_of_either_kind(tmp_path):
    assert window_model(tmp_path, days=7).engagement.weights([0, 1, 6, 7, 30]).tolist() == [1, 1, 1, 0, 0]
    assert MODEL.engagement.weights(pd.Series([0, 14, 28])).tolist() == [1.0, 0.5, 0.25]
