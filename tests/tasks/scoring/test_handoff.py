"""Hand-offs: which leads a date hands over, from and to which stage, and the reasons in words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from tasks.scoring.handoff import HANDOFF_COLUMNS, describe_rule, handoffs
from tasks.scoring.model import load_model

MODEL = load_model(Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml")
DAY = date(2026, 3, 2)
T0, T1 = pd.Timestamp("2026-03-02T09:00:00Z"), pd.Timestamp("2026-03-02T15:00:00Z")
EVENTS = pd.DataFrame([
    ("A", 1, None, "lead", T0, "new", None),      # new lead, then MQL the same day
    ("A", 2, "lead", "mql", T1, "score", None),
    ("B", 1, None, "lead", T0, "new", None),      # new lead only: no hand-off
    ("C", 1, "mql", "sales_accepted", T1, "outcome:sales_accepted", None),
], columns=["lead_id", "seq", "from_stage", "to_stage", "occurred_at", "cause", "detail"])
SCORES = pd.DataFrame([("A", 40.0, 70.0, 110.0, "A"), ("B", 5.0, 0.0, 5.0, "D"), ("C", 30.0, 20.0, 50.0, "B")],
                      columns=["lead_id", "fit_score", "engagement_score", "total_score", "grade"])
CONTRIBUTIONS = pd.DataFrame([
    ("A", "engagement", "demo_request", 40.0), ("A", "fit", "seniority_director", 20.0),
    ("A", "fit", "core_region", 10.0), ("A", "engagement", "page_view", 1.0), ("A", "fit", "no_company", -10.0),
    ("C", "fit", "size_enterprise", 20.0), ("C", "cap", "total_cap", 5.0),
], columns=["lead_id", "kind", "rule", "points"])
ENROLLMENTS = pd.DataFrame([("A", "educational", None), ("C", "industry_software", "2026-03-02")],
                           columns=["lead_id", "segment", "exited_run_date"])


def test_a_date_hands_over_new_mqls_and_stage_moves_with_reasons_in_words():
    rows = handoffs(DAY, EVENTS, SCORES, CONTRIBUTIONS, ENROLLMENTS, MODEL)
    assert list(rows.columns) == HANDOFF_COLUMNS
    got = rows.astype(object).where(rows.notna(), None)
    assert got[["lead_id", "from_stage", "to_stage", "new_mql", "cause", "total_score", "grade", "segment"]
               ].values.tolist() == [
        ["A", None, "mql", True, "score", 110.0, "A", "educational"],
        ["C", "mql", "sales_accepted", False, "outcome:sales_accepted", 50.0, "B", None]]
    assert got["reasons"].tolist() == [
        "engagement: demo request or contact request +40; fit: seniority is director +20; "
        "fit: country is US, CA, GB, DE, FR, NL, SE or AU +10",
        "fit: employee count at least 1000 +20"]
    assert set(got["run_date"]) == {"2026-03-02"} and set(got["model_version"]) == {MODEL.version}
    assert got["changed_at"].tolist() == [T1, T1]


def test_no_moves_no_rows_and_every_rule_has_words():
    none = handoffs(DAY, EVENTS[EVENTS["lead_id"] == "B"], SCORES, CONTRIBUTIONS, ENROLLMENTS, MODEL)
    assert none.empty and list(none.columns) == HANDOFF_COLUMNS
    words = {rule.name: describe_rule(rule) for rule in [*MODEL.fit.rules, *MODEL.engagement.rules]}
    assert words["size_mid_market"] == "employee count 200 to 999"
    assert words["no_company"] == "no company"
    assert words["partner_campaign"] == "ad click or email click in campaigns matching ^partner-"
