"""Nurture segment enrollment: the first segment a consenting lead matches, one open enrollment each."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from tasks.scoring.model import ScoringModel, SegmentCondition
from tasks.screening.normalize import per_distinct

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
        hit &= per_distinct(leads["interests"], lambda topics: bool(wanted & set(json.loads(topics)))).astype(bool)
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
    Bot activities show no interest. Patterns are tried once per distinct asset, and each distinct
    pair of (topics it had, topics of today) is written out once."""
    topics = list(model.interests)
    human = activities[activities["bot_reason"].isna() & activities["lead_id"].notna()]
    codes, assets = pd.factorize(human["asset"].fillna("").astype(str))
    of_asset = np.array([[bool(re.search(pattern, asset, re.IGNORECASE)) for pattern in model.interests.values()]
                         for asset in assets], dtype=bool).reshape(len(assets), len(topics))
    today = pd.DataFrame(of_asset[codes], columns=range(len(topics))).groupby(human["lead_id"].to_numpy()).any()
    today = today.reindex(profiles["lead_id"].to_numpy(), fill_value=False).to_numpy(dtype=bool)
    before = profiles["interests"] if "interests" in profiles else pd.Series(None, index=profiles.index)
    old_codes, olds = pd.factorize(before.to_numpy(dtype=object))  # no topics before: -1
    new_codes, news = pd.factorize(np.array([row.tobytes() for row in np.packbits(today, axis=1)], dtype=object))
    pair_codes, pairs = pd.factorize(old_codes.astype(np.int64) * (len(news) + 1) + new_codes)
    first = np.unique(pair_codes, return_index=True)[1]  # a lead holding each distinct pair
    written = np.array([
        json.dumps(sorted((set(json.loads(olds[old_codes[lead]])) if old_codes[lead] >= 0 else set())
                          | {topic for topic, hit in zip(topics, today[lead]) if hit}))
        for lead in first], dtype=object)
    return pd.Series(written[pair_codes], index=profiles.index, dtype=object)


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


def _exit_reasons(leads: pd.DataFrame, new_segment: pd.Series) -> np.ndarray:
    """Why each lead leaves its open enrollment, the first reason that holds."""
    stage = leads["lifecycle_stage"].astype(object)
    return np.select(
        [leads["do_not_contact"].astype(bool).to_numpy(), ~leads["email_consent"].astype(bool).to_numpy(),
         ~_emailable(leads).to_numpy(), stage.isin(SALES_STAGES).to_numpy(), new_segment.notna().to_numpy()],
        ["do_not_contact", "no_email_consent", "no_email_address", "became_" + stage.fillna("").astype(str),
         "moved_to:" + new_segment.fillna("").astype(str)],
        "no_longer_eligible").astype(object)


def enroll(leads: pd.DataFrame, open_enrollments: pd.DataFrame, run_date: str, model: ScoringModel) -> pd.DataFrame:
    """Enrollment rows to store for `leads` after `run_date`: their open enrollments (closed if
    they left the segment) and new ones, lead by lead in the order of `leads`. `leads` carries
    event_at, the time changes are stamped with."""
    leads = leads.reset_index(drop=True)
    target = choose_segment(leads, model).reset_index(drop=True)
    current = open_enrollments.drop(columns=[c for c in ENROLLMENT_COLUMNS[4:] if c in open_enrollments])
    held = leads.reset_index(names="position").merge(current, on="lead_id")
    wanted = target.iloc[held["position"]].reset_index(drop=True)
    stays = held["segment"].eq(wanted).to_numpy()
    leaving = held.loc[~stays].reset_index(drop=True)
    closed = leaving.assign(exited_run_date=run_date, exited_at=leaving["event_at"],
                            exit_reason=_exit_reasons(leaving, wanted[~stays].reset_index(drop=True)))
    kept_segment = pd.Series(False, index=leads.index)
    kept_segment.iloc[held.loc[stays, "position"]] = True
    joining = target.notna() & ~kept_segment
    new = pd.DataFrame({"position": np.flatnonzero(joining), "lead_id": leads.loc[joining, "lead_id"].to_numpy(),
                        "segment": target[joining].to_numpy(), "entered_run_date": run_date,
                        "entered_at": leads.loc[joining, "event_at"].to_numpy(), "exited_run_date": None,
                        "exited_at": None, "exit_reason": None})
    parts = [part for part in (held.loc[stays].assign(order=0), closed.assign(order=0), new.assign(order=1))
             if len(part)]
    if not parts:
        return pd.DataFrame(columns=ENROLLMENT_COLUMNS)
    rows = pd.concat(parts, ignore_index=True).sort_values(["position", "order"], kind="stable", ignore_index=True)
    return rows.reindex(columns=ENROLLMENT_COLUMNS)
