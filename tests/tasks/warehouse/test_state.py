"""The lifecycle a lead-to-lead merge carries into the day: both leads' state combined."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.scoring.model import STAGES
from tasks.scoring.qualify import MERGE_ORDER
from tasks.warehouse.state import CARRIED_STATE, LeadState, absorb, merged_state, typed


def at(text: str | None) -> str | None:
    return None if text is None else f"2026-03-0{text}:00Z"


def profile(lead: str, stage: str, since: str, first_mql: str | None = None, last_mql: str | None = None,
            first_run: str = "2026-03-01", interests: str | None = None) -> dict:
    return {"lead_id": lead, "email": f"{lead}@acme.com", "lifecycle_stage": stage, "stage_changed_at": at(since),
            "first_mql_at": at(first_mql), "last_mql_at": at(last_mql), "first_run_date": first_run,
            "interests": interests}


def profiles(*rows: dict) -> pd.DataFrame:
    return typed(pd.DataFrame(list(rows)))


def combined(*rows: dict, absorbed: dict[str, str]) -> dict[str, dict]:
    out = merged_state(profiles(*rows), pd.Series(absorbed, dtype=object))
    return {row["lead_id"]: row for row in out.to_dict("records")}


def test_every_lifecycle_stage_has_a_place_in_the_merge_order():
    assert sorted(MERGE_ORDER) == sorted(STAGES) and len(MERGE_ORDER) == len(set(MERGE_ORDER))


@pytest.mark.parametrize("survivor, other, kept", [
    ("lead", "mql", "B"), ("mql", "lead", "A"), ("recycled", "mql", "B"), ("sql", "recycled", "A"),
    ("lead", "recycled", "B"), ("disqualified", "recycled", "A"), ("lead", "disqualified", "B"),
    ("disqualified", "mql", "B"), ("sales_accepted", "disqualified", "A"), ("sql", "customer", "B"),
    ("sales_accepted", "sql", "B"), ("customer", "sql", "A"),
])
def test_the_later_stage_in_merge_order_is_kept_with_its_date(survivor, other, kept):
    rows = (profile("A", survivor, "2 10"), profile("B", other, "3 11"))
    state = combined(*rows, absorbed={"B": "A"})["A"]
    assert state["lifecycle_stage"] == (survivor if kept == "A" else other)
    assert state["stage_from"] == kept
    assert state["stage_changed_at"] == pd.Timestamp(at("2 10" if kept == "A" else "3 11"))


def test_an_absorbed_mql_gives_the_survivor_its_stage_and_earliest_dates_and_every_interest():
    """The survivor (a lead since 3 March) absorbs an MQL of 2 March (first MQL 2 March 12:00, last
    4 March) that was recycled once; the survivor had its own earlier first run date."""
    a = profile("A", "lead", "3 09", first_run="2026-02-27", interests='["pricing"]')
    b = profile("B", "mql", "4 08", first_mql="2 12", last_mql="4 08", first_run="2026-03-02",
                interests='["analytics", "pricing"]')
    state = combined(a, b, profile("C", "lead", "1 09"), absorbed={"B": "A"})
    assert list(state) == ["A"]  # only survivors
    assert {k: state["A"][k] for k in (*CARRIED_STATE, "stage_from")} == {
        "lifecycle_stage": "mql", "stage_changed_at": pd.Timestamp(at("4 08")),
        "first_mql_at": pd.Timestamp(at("2 12")), "last_mql_at": pd.Timestamp(at("4 08")),
        "first_run_date": "2026-02-27", "interests": '["analytics", "pricing"]', "stage_from": "B"}


def test_equal_stages_keep_the_earlier_date_and_mql_dates_span_both():
    a = profile("A", "mql", "5 10", first_mql="5 10", last_mql="5 10")
    b = profile("B", "mql", "2 10", first_mql="1 10", last_mql="2 10")
    c = profile("C", "mql", "5 10", first_mql="5 10", last_mql="5 10")
    state = combined(a, b, absorbed={"B": "A"})["A"]
    assert (state["stage_changed_at"], state["stage_from"]) == (pd.Timestamp(at("2 10")), "B")
    assert (state["first_mql_at"], state["last_mql_at"]) == (pd.Timestamp(at("1 10")), pd.Timestamp(at("5 10")))
    # Same stage since the same time: the survivor's own. No interests anywhere: an empty list.
    state = combined(a, c, absorbed={"C": "A"})["A"]
    assert (state["stage_from"], state["interests"]) == ("A", "[]")


def test_several_leads_absorbed_into_one_and_a_survivor_without_a_row():
    rows = (profile("A", "lead", "3 09"), profile("B", "mql", "4 08", first_mql="4 08"),
            profile("C", "sql", "2 08", first_mql="1 08"), profile("D", "customer", "1 08"))
    state = combined(*rows, absorbed={"B": "A", "C": "A", "D": "Z"})
    assert list(state) == ["A"]
    assert (state["A"]["lifecycle_stage"], state["A"]["stage_from"], state["A"]["first_mql_at"]) == (
        "sql", "C", pd.Timestamp(at("1 08")))
    assert merged_state(profiles(*rows), pd.Series(dtype=object)).empty


def test_absorb_puts_the_merged_state_on_the_survivor_and_leaves_other_leads_as_they_were():
    rows = profiles(profile("A", "lead", "3 09"), profile("B", "sql", "2 08", first_mql="1 08", last_mql="1 08"),
                    profile("C", "recycled", "1 09"))
    empty = pd.DataFrame(columns=["lead_id", "rule", "decayed_value", "state_date"])
    state = LeadState(profiles=rows, engagement=empty, enrollments=pd.DataFrame(columns=["lead_id"]))
    after = absorb(state, pd.Series({"B": "A"}, dtype=object), pd.DataFrame(columns=["lead_id"]))
    assert after.profiles["lead_id"].tolist() == ["A", "C"]
    assert after.profiles["lifecycle_stage"].tolist() == ["sql", "recycled"]
    assert after.profiles["first_mql_at"].tolist()[0] == pd.Timestamp(at("1 08"))
    assert str(after.profiles["stage_changed_at"].dtype) == str(rows["stage_changed_at"].dtype)
    assert after.absorbed_profiles["lead_id"].tolist() == ["A"]  # B's profile, under A, for survivorship
    assert after.absorbed_profiles["lifecycle_stage"].tolist() == ["sql"]
