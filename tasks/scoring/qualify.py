"""The MQL lifecycle: sales outcomes and score thresholds move leads between stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tasks.scoring.model import ScoringModel

# Where each sales outcome takes a lead; sales_rejected depends on the reason (see below).
OUTCOME_STAGE = {"sales_accepted": "sales_accepted", "opportunity": "sql", "won": "customer", "lost": "recycled"}
SCORE_ENTRY_STAGES = ("lead", "recycled")
EVENT_COLUMNS = ["lead_id", "seq", "from_stage", "to_stage", "occurred_at", "cause", "detail"]


@dataclass(frozen=True)
class Lifecycle:
    leads: pd.DataFrame   # lead_id, lifecycle_stage, stage_changed_at, first_mql_at, last_mql_at
    events: pd.DataFrame  # EVENT_COLUMNS


def qualify(
    leads: pd.DataFrame, scores: pd.DataFrame, outcomes: pd.DataFrame, model: ScoringModel
) -> Lifecycle:
    """Apply the day's outcomes in time order, then the score thresholds, to each scored lead.

    `leads`: lead_id, lifecycle_stage (None for a new lead), stage_changed_at, first_mql_at,
    last_mql_at, created_at and event_at (when the lead last acted today; the time a score
    transition is stamped with). `outcomes`: lead_id, occurred_at, status, reason.
    """
    rule = model.mql
    state = leads.merge(scores[["lead_id", "fit_score", "total_score"]], on="lead_id", how="left")
    by_lead = {lead: group for lead, group in outcomes.sort_values(["occurred_at", "status"]).groupby("lead_id")}
    records, events = [], []
    for row in state.itertuples(index=False):
        stage = row.lifecycle_stage if isinstance(row.lifecycle_stage, str) else None
        changed = row.stage_changed_at
        first_mql, last_mql = row.first_mql_at, row.last_mql_at
        lead_events: list[tuple] = []

        def move(to: str, at: pd.Timestamp, cause: str, detail: str | None = None) -> None:
            nonlocal stage, changed
            lead_events.append((row.lead_id, len(lead_events), stage, to, at, cause, detail))
            stage, changed = to, at

        if stage is None:
            move("lead", row.created_at, "new")
        moved_by_sales = False
        for outcome in by_lead.get(row.lead_id, pd.DataFrame()).itertuples(index=False):
            reason = outcome.reason if isinstance(outcome.reason, str) else None
            if outcome.status == "sales_rejected":
                to = "disqualified" if reason in rule.disqualify_reasons else "recycled"
            else:
                to = OUTCOME_STAGE[outcome.status]
            if to != stage:
                move(to, outcome.occurred_at, "outcome:" + outcome.status, reason)
                moved_by_sales = True
        if not moved_by_sales:
            if stage in SCORE_ENTRY_STAGES and row.total_score >= rule.entry_min_total \
                    and row.fit_score >= rule.entry_min_fit:
                move("mql", row.event_at, "score", f"total {row.total_score:.1f} >= {rule.entry_min_total:g}")
                first_mql = first_mql if pd.notna(first_mql) else row.event_at
                last_mql = row.event_at
            elif stage == "mql" and row.total_score < rule.exit_below_total:
                move("recycled", row.event_at, "score",
                     f"total {row.total_score:.1f} < {rule.exit_below_total:g}")
        records.append((row.lead_id, stage, changed, first_mql, last_mql))
        events.extend(lead_events)
    result = pd.DataFrame(records, columns=["lead_id", "lifecycle_stage", "stage_changed_at",
                                            "first_mql_at", "last_mql_at"])
    return Lifecycle(leads=result, events=pd.DataFrame(events, columns=EVENT_COLUMNS))


# How far ahead a decay-driven crossing is looked for; beyond it a lead waits for new activity.
REVIEW_HORIZON_DAYS = 400


def review_dates(leads: pd.DataFrame, engagement: pd.DataFrame, run_date: date, model: ScoringModel) -> pd.Series:
    """The first later date on which decay alone takes each MQL below the exit level, or None.

    Runs pick such leads up on that date, so exits need no nightly scan of all MQLs. (Entering
    MQL takes new activity: a lead is never promoted by the mere passing of time.)
    `leads`: lead_id, lifecycle_stage, fit_score. `engagement`: the day's engagement rows
    (lead_id, rule, decayed_value).
    """
    caps = {r.name: (r.cap if r.cap is not None else np.inf) for r in model.engagement.rules}
    values = engagement.pivot_table(index="lead_id", columns="rule", values="decayed_value", aggfunc="sum")
    values = values.reindex(index=leads["lead_id"], fill_value=0.0).fillna(0.0)
    matrix = values.to_numpy()
    limit = np.array([caps.get(name, np.inf) for name in values.columns])
    fit = leads["fit_score"].to_numpy(dtype=float)
    due = np.full(len(leads), -1)
    # An MQL whose fit alone keeps it above the exit level never needs a look.
    watch = (leads["lifecycle_stage"] == "mql").to_numpy() & (fit < model.mql.exit_below_total)
    per_day = 0.5 ** (1.0 / model.engagement.half_life_days)
    for day in range(1, REVIEW_HORIZON_DAYS + 1):
        open_ = watch & (due < 0)
        if not open_.any():
            break
        decayed = matrix[open_] * per_day**day
        engaged = (np.sign(decayed) * np.minimum(np.abs(decayed), limit)).sum(axis=1)
        total = np.clip(fit[open_] + np.clip(engaged, 0.0, model.engagement.cap), 0.0, model.total_cap)
        due[np.flatnonzero(open_)[total < model.mql.exit_below_total]] = day
    dates = [None if d < 0 else (run_date + timedelta(days=int(d))).isoformat() for d in due]
    return pd.Series(dates, index=leads.index, dtype=object)
