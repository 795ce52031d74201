"""Nurture segment enrollment: the first segment a consenting lead matches, one open enrollment each."""

from __future__ import annotations

import json
import re

import pandas as pd

from tasks.scoring.model import ScoringModel, SegmentCondition

ENROLLMENT_COLUMNS = ["lead_id", "segment", "entered_run_date", "entered_at",
                      "exited_run_date", "exited_at", "exit_reason"]
# Stages at which nurture stops because sales owns the lead.
SALES_STAGES = ("sql", "customer")


def _matches(leads: pd.DataFrame, when: SegmentCondition) -> pd.Series:
    hit = pd.Series(True, index=leads.index)
    if when.grades is not None:
        hit &= leads["grade"].isin(when.grades)
    if when.interests is not None:
        wanted = set(when.interests)
        hit &= leads["interests"].map(lambda topics: bool(wanted & set(json.loads(topics))))
    if when.stages is not None:
        hit &= leads["lifecycle_stage"].isin(when.stages)
    if when.industries is not None:
        hit &= leads["industry"].fillna("").str.lower().isin([i.lower() for i in when.industries])
    if when.min_engagement is not None:
        hit &= leads["engagement_score"] >= when.min_engagement
    if when.max_engagement is not None:
        hit &= leads["engagement_score"] <= when.max_engagement
    return hit


def interests(profiles: pd.DataFrame, activities: pd.DataFrame, model: ScoringModel) -> pd.Series:
    """Each lead's topics (JSON list): those it had, plus those of the assets it consumed today.
    Bot activities show no interest."""
    human = activities[activities["bot_reason"].isna() & activities["lead_id"].notna()]
    assets = human["asset"].fillna("").astype(str)
    found = []
    for topic, pattern in model.interests.items():
        rx = re.compile(pattern, re.IGNORECASE)
        hit = assets.map(lambda a: bool(rx.search(a))).astype(bool)
        found.append(pd.DataFrame({"lead_id": human.loc[hit.to_numpy(), "lead_id"], "topic": topic}))
    today = pd.concat(found, ignore_index=True).groupby("lead_id")["topic"].agg(set) if found else pd.Series()
    before = profiles["interests"] if "interests" in profiles else pd.Series(None, index=profiles.index)
    merged = [
        json.dumps(sorted(set(json.loads(old) if isinstance(old, str) else []) | today.get(lead, set())))
        for lead, old in zip(profiles["lead_id"], before)
    ]
    return pd.Series(merged, index=profiles.index, dtype=object)


def choose_segment(leads: pd.DataFrame, model: ScoringModel) -> pd.Series:
    """The segment each lead belongs in now (None: none, no consent to email it, or no valid
    address to email: a lead kept without one, or whose address was malformed)."""
    segment = pd.Series(None, index=leads.index, dtype=object)
    for definition in model.segments:
        segment[segment.isna() & _matches(leads, definition.when)] = definition.name
    reachable = leads["email_consent"].astype(bool) & ~leads["do_not_contact"].astype(bool) & _emailable(leads)
    return segment.astype(object).where(segment.notna() & reachable, None)


def _emailable(leads: pd.DataFrame) -> pd.Series:
    """Leads with an address to email: a valid one has an email key (screening drops a malformed one)."""
    return leads["email_key"].notna() & leads["email_key"].astype(object).ne("")


def _exit_reason(lead: pd.Series, new_segment: str | None) -> str:
    if lead["do_not_contact"]:
        return "do_not_contact"
    if not lead["email_consent"]:
        return "no_email_consent"
    if not isinstance(lead["email_key"], str) or not lead["email_key"]:
        return "no_email_address"
    if lead["lifecycle_stage"] in SALES_STAGES:
        return "became_" + lead["lifecycle_stage"]
    return f"moved_to:{new_segment}" if new_segment else "no_longer_eligible"


def enroll(leads: pd.DataFrame, open_enrollments: pd.DataFrame, run_date: str, model: ScoringModel) -> pd.DataFrame:
    """Enrollment rows to store for `leads` after `run_date`: their open enrollments (closed if
    they left the segment) and new ones. `leads` carries event_at, the time changes are stamped with."""
    target = choose_segment(leads, model)
    current = open_enrollments.set_index("lead_id")
    rows = []
    for position, lead in leads.reset_index(drop=True).iterrows():
        new_segment = target.iloc[position]
        lead_id = lead["lead_id"]
        if lead_id in current.index:
            enrollment = current.loc[lead_id].to_dict()
            if enrollment["segment"] == new_segment:
                rows.append({"lead_id": lead_id, **enrollment})
                continue
            rows.append({"lead_id": lead_id, **enrollment, "exited_run_date": run_date,
                         "exited_at": lead["event_at"], "exit_reason": _exit_reason(lead, new_segment)})
        if isinstance(new_segment, str):
            rows.append({"lead_id": lead_id, "segment": new_segment, "entered_run_date": run_date,
                         "entered_at": lead["event_at"], "exited_run_date": None, "exited_at": None,
                         "exit_reason": None})
    return pd.DataFrame(rows, columns=ENROLLMENT_COLUMNS)
