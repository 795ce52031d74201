from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.scoring.model import load_model
from tasks.scoring.nurture import choose_segment, enroll, interests

MODEL = load_model(Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml")
AT = pd.Timestamp("2026-03-03T12:00:00Z")
NONE_OPEN = pd.DataFrame(columns=["lead_id", "segment", "entered_run_date", "entered_at"])


def lead(lead_id: str, **values) -> dict:
    base = {"lead_id": lead_id, "grade": "A", "lifecycle_stage": "lead", "industry": "Software",
            "engagement_score": 10.0, "email_consent": True, "do_not_contact": False, "event_at": AT,
            "interests": "[]", "email_key": f"{lead_id}@acme.com"}
    return {**base, **values}


def test_first_matching_segment_wins_and_consent_gates():
    leads = pd.DataFrame([
        lead("edu"), lead("health", industry="Healthcare"), lead("engaged", engagement_score=80.0),
        lead("recycled", lifecycle_stage="recycled", industry="Healthcare"), lead("noconsent", email_consent=False),
        lead("dnc", do_not_contact=True), lead("weak", grade="D"), lead("mql", lifecycle_stage="mql"),
    ])
    assert choose_segment(leads, MODEL).tolist() == [
        "educational", "healthcare_track", None, "re_engagement", None, None, "awareness", None]


def test_enroll_keeps_moves_and_exits():
    leads = pd.DataFrame([
        lead("stay"), lead("move", lifecycle_stage="recycled"), lead("sql", lifecycle_stage="sql"),
        lead("new"), lead("unsub", email_consent=False),
    ])
    open_rows = pd.DataFrame({
        "lead_id": ["stay", "move", "sql", "unsub"],
        "segment": ["educational"] * 4,
        "entered_run_date": ["2026-03-01"] * 4,
        "entered_at": [pd.Timestamp("2026-03-01T10:00:00Z")] * 4,
    })
    rows = enroll(leads, open_rows, "2026-03-03", MODEL)
    rows = rows.astype(object).where(rows.notna(), None)
    got = {(r.lead_id, r.segment): (r.exited_run_date, r.exit_reason) for r in rows.itertuples()}
    assert got == {
        ("stay", "educational"): (None, None),
        ("move", "educational"): ("2026-03-03", "moved_to:re_engagement"),
        ("move", "re_engagement"): (None, None),
        ("sql", "educational"): ("2026-03-03", "became_sql"),
        ("new", "educational"): (None, None),
        ("unsub", "educational"): ("2026-03-03", "no_email_consent"),
    }
    # No lead ends with two open enrollments.
    open_after = rows[rows["exited_run_date"].isna()]
    assert open_after["lead_id"].is_unique
    assert rows.loc[rows["segment"] == "re_engagement", "entered_at"].tolist() == [AT]


def test_a_lead_without_a_valid_address_is_never_enrolled():
    # Kept without an email, or with a malformed one (screening drops it: no email key).
    leads = pd.DataFrame([lead("ok"), lead("no_address", email_key=None), lead("blank", email_key="")])
    assert choose_segment(leads, MODEL).tolist() == ["educational", None, None]
    open_rows = pd.DataFrame({"lead_id": ["no_address"], "segment": ["educational"],
                              "entered_run_date": ["2026-03-01"], "entered_at": [pd.Timestamp("2026-03-01T10:00:00Z")]})
    rows = enroll(leads, open_rows, "2026-03-03", MODEL)
    exits = rows[rows["exited_run_date"].notna()]
    assert exits[["lead_id", "exit_reason"]].values.tolist() == [["no_address", "no_email_address"]]
    assert rows.loc[rows["exited_run_date"].isna(), "lead_id"].tolist() == ["ok"]


def test_enroll_nothing_when_nothing_matches():
    assert enroll(pd.DataFrame([lead("x", lifecycle_stage="customer")]), NONE_OPEN, "2026-03-03", MODEL).empty


def test_interests_accumulate_from_human_activity_assets():
    profiles = pd.DataFrame({"lead_id": ["a", "b", "c"], "interests": ['["data_quality"]', None, "[]"]})
    activities = pd.DataFrame({
        "lead_id": ["a", "b", "b", "c", None],
        "asset": ["webinar-ai-forecasting", "/blog/lead-scoring-explained", "/docs/getting-started",
                  "report-benchmarks.pdf", "/blog/data-quality-checklist"],
        "bot_reason": [None, None, None, "bot_activity", None],
    })
    got = interests(profiles, activities, MODEL).tolist()
    assert got == ['["analytics", "data_quality"]', '["integrations", "lead_scoring"]', "[]"]


def test_interest_segment_comes_before_educational():
    leads = pd.DataFrame([lead("x", interests='["analytics"]'), lead("y", interests='["integrations"]')])
    assert choose_segment(leads, MODEL).tolist() == ["analytics_track", "educational"]


def test_interests_keep_topics_the_model_no_longer_has_and_sort_each_list():
    profiles = pd.DataFrame({"lead_id": ["a", "b", "c", "d"],
                             "interests": ['["zeta", "analytics"]', '["zeta", "analytics"]', None, '["b", "a"]']})
    activities = pd.DataFrame({
        "lead_id": ["a", "a", "b", "c"],
        "asset": ["/blog/lead-scoring-explained", "/blog/lead-scoring-explained", None, "webinar-ai-forecasting"],
        "bot_reason": [None, None, None, None],
    })
    got = interests(profiles, activities, MODEL).tolist()
    assert got == ['["analytics", "lead_scoring", "zeta"]', '["analytics", "zeta"]', '["analytics"]', '["a", "b"]']
