from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.scoring.model import load_model
from datetime import date

from tasks.scoring.qualify import review_dates, qualify

MODEL = load_model(Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml")
T0 = pd.Timestamp("2026-03-02T09:00:00Z")
T1 = pd.Timestamp("2026-03-02T15:00:00Z")
NO_OUTCOMES = pd.DataFrame(columns=["lead_id", "occurred_at", "status", "reason"])


def lead(lead_id: str, stage: str | None, first_mql=pd.NaT) -> dict:
    return {"lead_id": lead_id, "lifecycle_stage": stage, "stage_changed_at": T0, "first_mql_at": first_mql,
            "last_mql_at": first_mql, "created_at": T0, "event_at": T1}


def scores(*rows: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lead_id", "fit_score", "total_score"])


def test_new_lead_enters_and_crosses_the_entry_threshold():
    result = qualify(pd.DataFrame([lead("A", None), lead("B", None)]), scores(("A", 50, 95), ("B", 20, 150)),
                     NO_OUTCOMES, MODEL)
    events = result.events.astype(object).where(result.events.notna(), None)
    assert events[events["lead_id"] == "A"][["from_stage", "to_stage", "cause"]].values.tolist() == [
        [None, "lead", "new"], ["lead", "mql", "score"]]
    # B has the total but not the fit the entry rule asks for.
    assert events[events["lead_id"] == "B"]["to_stage"].tolist() == ["lead"]
    a = result.leads.set_index("lead_id").loc["A"]
    assert a["lifecycle_stage"] == "mql" and a["first_mql_at"] == T1 and a["last_mql_at"] == T1


def test_hysteresis_keeps_mql_between_exit_and_entry():
    first = pd.Timestamp("2026-02-01T00:00:00Z")
    result = qualify(pd.DataFrame([lead("A", "mql", first), lead("B", "mql", first)]),
                     scores(("A", 40, 70), ("B", 40, 50)), NO_OUTCOMES, MODEL)
    stages = result.leads.set_index("lead_id")["lifecycle_stage"].to_dict()
    assert stages == {"A": "mql", "B": "recycled"}          # 70 is under entry 90 but above exit 60
    b = result.leads.set_index("lead_id").loc["B"]
    assert b["first_mql_at"] == first                          # never changes once set
    assert result.events["cause"].tolist() == ["score"]


def test_outcomes_move_leads_in_time_order_and_block_score_moves():
    outcomes = pd.DataFrame({
        "lead_id": ["A", "A", "B", "C"],
        "occurred_at": [T1, T0, T0, T0],
        "status": ["opportunity", "sales_accepted", "sales_rejected", "sales_rejected"],
        "reason": [None, None, "competitor", "timing"],
    })
    result = qualify(pd.DataFrame([lead("A", "mql"), lead("B", "mql"), lead("C", "mql")]),
                     scores(("A", 60, 150), ("B", 60, 150), ("C", 60, 150)), outcomes, MODEL)
    events = result.events.set_index(["lead_id", "seq"])
    assert events.loc[("A", 0), "to_stage"] == "sales_accepted" and events.loc[("A", 0), "occurred_at"] == T0
    assert events.loc[("A", 1), "to_stage"] == "sql"
    assert events.loc[("B", 0), ["to_stage", "detail"]].tolist() == ["disqualified", "competitor"]
    assert events.loc[("C", 0), ["to_stage", "cause"]].tolist() == ["recycled", "outcome:sales_rejected"]
    # C was recycled by sales today: its high score does not make it an MQL again the same day.
    assert len(events.loc["C"]) == 1


def test_review_dates_find_the_day_decay_crosses_a_threshold():
    leads = pd.DataFrame({"lead_id": ["mql", "safe", "lead", "neg"],
                          "lifecycle_stage": ["mql", "mql", "lead", "recycled"],
                          "fit_score": [40.0, 70.0, 40.0, 60.0]})
    engagement = pd.DataFrame({"lead_id": ["mql", "mql", "lead", "neg", "neg"],
                               "rule": ["trial_signup", "pricing_page", "pricing_page", "unsubscribe", "demo_request"],
                               "decayed_value": [40.0, 20.0, 30.0, -20.0, 60.0]})
    got = review_dates(leads, engagement, date(2026, 3, 2), MODEL).tolist()
    # mql: 40 + (40 + 20) * 0.5**(d/14) < 60 once 0.5**(d/14) < 1/3, first at d = 23.
    # safe: fit 70 alone stays above the exit level; lead: no negative points, so it can only fall.
    # neg: not an MQL; time alone never promotes a lead (that takes new activity).
    assert got == ["2026-03-25", None, None, None]


def test_won_makes_a_customer_and_lost_recycles_with_its_reason():
    outcomes = pd.DataFrame({"lead_id": ["A", "A", "B"], "occurred_at": [T0, T1, T1],
                             "status": ["opportunity", "won", "lost"], "reason": [None, None, "budget"]})
    result = qualify(pd.DataFrame([lead("A", "sales_accepted"), lead("B", "sql")]),
                     scores(("A", 60, 150), ("B", 60, 150)), outcomes, MODEL)
    stages = result.leads.set_index("lead_id")["lifecycle_stage"].to_dict()
    assert stages == {"A": "customer", "B": "recycled"}
    events = result.events.set_index(["lead_id", "seq"])
    assert events.loc[("A", 0), "to_stage"] == "sql" and events.loc[("A", 1), "to_stage"] == "customer"
    assert events.loc[("B", 0), ["to_stage", "cause", "detail"]].tolist() == ["recycled", "outcome:lost", "budget"]
    assert result.leads.set_index("lead_id").loc["A", "stage_changed_at"] == T1
