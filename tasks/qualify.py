"""The MQL lifecycle: sales outcomes and score thresholds move leads between stages."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tasks.model import ScoringModel

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
