from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tasks.errors import ConfigError
from tasks.scoring.model import load_model
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
