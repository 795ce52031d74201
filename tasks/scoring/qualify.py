"""The MQL lifecycle: sales outcomes and score thresholds move leads between stages."""

from __future__ import annotations

from collections import defaultdict

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tasks.scoring.model import ScoringModel
from tasks.scoring.score import matrix_cells

# Where each sales outcome takes a lead; sales_rejected depends on the reason (see below).
OUTCOME_STAGE = {"sales_accepted": "sales_accepted", "opportunity": "sql", "won": "customer", "lost": "recycled"}
SCORE_ENTRY_STAGES = ("lead", "recycled")
EVENT_COLUMNS = ["lead_id", "seq", "from_stage", "to_stage", "occurred_at", "cause", "detail"]
# When a lead-to-lead merge joins two leads (state.merged_state), the person keeps the later of
# their stages in this order. A stage in the hand-off (an MQL, accepted by sales, an SQL, a
# customer) wins over one outside it: the person is being handed to sales or worked by them now,
# and a sales rejection of one record (whose reasons include `duplicate`, which the merge itself
# resolves) does not withdraw the other's hand-off; sales can disqualify the merged person again.
# Outside it, a disqualification wins (no score takes it back to MQL), then recycled (a former
# MQL, nurtured to come back), then lead.
MERGE_ORDER = ("lead", "recycled", "disqualified", "mql", "sales_accepted", "sql", "customer")


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

    Leads with outcomes today (few) are walked one by one; the others take the score thresholds
    column-wise. Both give the same rows, in the order of `leads`.
    """
    columns = ["lead_id", "fit_score", "total_score", "matrix_cell"]
    state = leads.merge(scores.reindex(columns=columns), on="lead_id", how="left")
    state["position"] = np.arange(len(state))
    state["entry"], state["in_matrix"] = entry_reasons(state["total_score"], state["fit_score"], state["matrix_cell"],
                                                      model)
    with_outcomes = state["lead_id"].isin(outcomes["lead_id"]).to_numpy()
    walked = _walk(state[with_outcomes], outcomes, model)
    thresholded = _thresholds(state[~with_outcomes], model)
    records = pd.concat([walked.leads, thresholded.leads], ignore_index=True).sort_values("position", kind="stable")
    events = pd.concat([walked.events, thresholded.events], ignore_index=True).sort_values(["position", "seq"],
                                                                                          kind="stable")
    return Lifecycle(leads=records.drop(columns="position").reset_index(drop=True),
                     events=events.drop(columns="position").reset_index(drop=True))


def entry_reasons(total: pd.Series, fit: pd.Series, cell: pd.Series, model: ScoringModel
                  ) -> tuple[pd.Series, pd.Series]:
    """Why each lead meets the MQL entry rule, in words (`total 95.0 >= 90`, `cell A2 in the
    matrix`; None: it does not), and whether its matrix cell is one that enters. The total rule
    comes first when both hold."""
    rule = model.mql
    in_matrix = cell.isin(rule.matrix).to_numpy() if rule.matrix else np.zeros(len(cell), dtype=bool)
    by_total = ((total >= rule.entry_min_total) & (fit >= rule.entry_min_fit)).to_numpy() \
        if rule.entry_min_total is not None else np.zeros(len(total), dtype=bool)
    words = [f"total {t:.1f} >= {rule.entry_min_total:g}" if scored else f"cell {c} in the matrix" if listed else None
             for t, c, scored, listed in zip(total, cell, by_total, in_matrix)]
    return pd.Series(words, index=total.index, dtype=object), pd.Series(in_matrix, index=total.index)


def leaves(stage: pd.Series | str, total: pd.Series | float, in_matrix: pd.Series | bool, model: ScoringModel):
    """An MQL leaves once its total falls below the exit level, unless its matrix cell still enters."""
    return (stage == "mql") & (total < model.mql.exit_below_total) & ~in_matrix


def _thresholds(state: pd.DataFrame, model: ScoringModel) -> Lifecycle:
    """The lifecycle of leads without outcomes today: a new lead enters `lead`; a lead at an
    entry stage whose scores reach the MQL rule becomes an MQL; an MQL below the exit level is
    recycled."""
    rule = model.mql
    stage = state["lifecycle_stage"].where(state["lifecycle_stage"].map(lambda s: isinstance(s, str)), None)
    new = stage.isna()
    stage = stage.where(~new, "lead").astype(object)
    changed = state["stage_changed_at"].where(~new, state["created_at"])
    total = state["total_score"]
    enters = stage.isin(SCORE_ENTRY_STAGES) & state["entry"].notna()
    exits = ~enters & leaves(stage, total, state["in_matrix"], model)
    position = state["position"]
    new_events = pd.DataFrame({"position": position[new], "lead_id": state.loc[new, "lead_id"], "seq": 0,
                               "from_stage": None, "to_stage": "lead", "occurred_at": state.loc[new, "created_at"],
                               "cause": "new", "detail": None})
    moved = enters | exits
    detail = [entry if entering else f"total {t:.1f} < {rule.exit_below_total:g}"
              for t, entry, entering in zip(total[moved], state.loc[moved, "entry"], enters[moved])]
    score_events = pd.DataFrame({"position": position[moved], "lead_id": state.loc[moved, "lead_id"],
                                 "seq": new[moved].astype(int), "from_stage": stage[moved],
                                 "to_stage": np.where(enters[moved], "mql", "recycled"),
                                 "occurred_at": state.loc[moved, "event_at"], "cause": "score", "detail": detail})
    events = pd.concat([part for part in (new_events, score_events) if len(part)] or [new_events], ignore_index=True)
    records = pd.DataFrame({
        "position": position,
        "lead_id": state["lead_id"],
        "lifecycle_stage": stage.where(~enters, "mql").where(~exits, "recycled"),
        "stage_changed_at": changed.where(~moved, state["event_at"]),
        "first_mql_at": state["first_mql_at"].where(~enters | state["first_mql_at"].notna(), state["event_at"]),
        "last_mql_at": state["last_mql_at"].where(~enters, state["event_at"]),
    })
    return Lifecycle(leads=records, events=events[["position", *EVENT_COLUMNS]])


def _walk(state: pd.DataFrame, outcomes: pd.DataFrame, model: ScoringModel) -> Lifecycle:
    """The lifecycle of leads with outcomes today, lead by lead: the outcomes in time order, then
    the score thresholds if no outcome moved the lead."""
    rule = model.mql
    by_lead: dict[str, list] = defaultdict(list)
    for outcome in outcomes.sort_values(["occurred_at", "status"], kind="stable").itertuples(index=False):
        by_lead[outcome.lead_id].append(outcome)
    records, events = [], []
    for row in state.itertuples(index=False):
        stage = row.lifecycle_stage if isinstance(row.lifecycle_stage, str) else None
        changed = row.stage_changed_at
        first_mql, last_mql = row.first_mql_at, row.last_mql_at
        lead_events: list[tuple] = []

        def move(to: str, at: pd.Timestamp, cause: str, detail: str | None = None) -> None:
            nonlocal stage, changed
            lead_events.append((row.position, row.lead_id, len(lead_events), stage, to, at, cause, detail))
            stage, changed = to, at

        if stage is None:
            move("lead", row.created_at, "new")
        moved_by_sales = False
        for outcome in by_lead.get(row.lead_id, ()):
            reason = outcome.reason if isinstance(outcome.reason, str) else None
            if outcome.status == "sales_rejected":
                to = "disqualified" if reason in rule.disqualify_reasons else "recycled"
            else:
                to = OUTCOME_STAGE[outcome.status]
            if to != stage:
                move(to, outcome.occurred_at, "outcome:" + outcome.status, reason)
                moved_by_sales = True
        if not moved_by_sales:
            if stage in SCORE_ENTRY_STAGES and row.entry is not None:
                move("mql", row.event_at, "score", row.entry)
                first_mql = first_mql if pd.notna(first_mql) else row.event_at
                last_mql = row.event_at
            elif leaves(stage, row.total_score, bool(row.in_matrix), model):
                move("recycled", row.event_at, "score",
                     f"total {row.total_score:.1f} < {rule.exit_below_total:g}")
        records.append((row.position, row.lead_id, stage, changed, first_mql, last_mql))
        events.extend(lead_events)
    return Lifecycle(
        leads=pd.DataFrame(records, columns=["position", "lead_id", "lifecycle_stage", "stage_changed_at",
                                             "first_mql_at", "last_mql_at"]),
        events=pd.DataFrame(events, columns=["position", *EVENT_COLUMNS]))


def _held(fit: np.ndarray, engaged: np.ndarray, model: ScoringModel) -> np.ndarray:
    """Whether MQLs with these fit scores and engagement (the rules' points summed, before the
    engagement cap) stay MQLs: their total at the exit level, or their matrix cell one that enters."""
    engagement = np.clip(engaged, 0.0, model.engagement.cap)
    held = np.clip(fit + engagement, 0.0, model.total_cap) >= model.mql.exit_below_total
    if model.mql.matrix:
        held |= matrix_cells(pd.Series(fit), pd.Series(engagement), model).isin(model.mql.matrix).to_numpy()
    return held


# How far ahead a decay-driven crossing is looked for; beyond it a lead waits for new activity.
REVIEW_HORIZON_DAYS = 400


def review_dates(leads: pd.DataFrame, engagement: pd.DataFrame, run_date: date, model: ScoringModel,
                 window: pd.DataFrame | None = None) -> pd.Series:
    """The first later date on which decay alone takes each MQL below the exit level (and out of
    the matrix cells that enter, under a matrix rule), or None.

    Runs pick such leads up on that date, so exits need no nightly scan of all MQLs. (Entering
    MQL takes new activity: a lead is never promoted by the mere passing of time.)
    `leads`: lead_id, lifecycle_stage, fit_score. `engagement`: the day's engagement rows
    (lead_id, rule, decayed_value). `window`: under a window decay, the points per day of the
    window (lead_id, rule, day, points; see score.window_points), whose days drop out one by one.
    """
    if model.engagement.window_days is not None:
        return _window_review_dates(leads, window, run_date, model)
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
        due[np.flatnonzero(open_)[~_held(fit[open_], engaged, model)]] = day
    dates = [None if d < 0 else (run_date + timedelta(days=int(d))).isoformat() for d in due]
    return pd.Series(dates, index=leads.index, dtype=object)


def _window_review_dates(leads: pd.DataFrame, window: pd.DataFrame | None, run_date: date,
                         model: ScoringModel) -> pd.Series:
    """review_dates under a window decay: the first date on which the days left in the window
    (a day loaded `age` days before the run date counts until `window_days - age` days later)
    no longer hold the MQL at the exit level; every day has left by `window_days` days later."""
    size = model.engagement.window_days
    caps = pd.Series({r.name: (r.cap if r.cap is not None else np.inf) for r in model.engagement.rules}, dtype=float)
    fit = leads.set_index("lead_id")["fit_score"].astype(float)
    watch = fit[((leads["lifecycle_stage"] == "mql").to_numpy()) & (fit < model.mql.exit_below_total).to_numpy()]
    due = pd.Series(-1, index=watch.index)
    days = window if window is not None else pd.DataFrame(columns=["lead_id", "rule", "day", "points"])
    days = days[days["lead_id"].isin(watch.index)]
    age = (pd.Timestamp(run_date) - pd.to_datetime(days["day"])).dt.days
    for later in sorted({size - a for a in age if 0 < size - a <= size} | {size}):
        open_ = due < 0
        if not open_.any():
            break
        left = days[(age + later < size).to_numpy() & days["lead_id"].isin(due.index[open_]).to_numpy()]
        held = left.groupby(["lead_id", "rule"])["points"].sum()
        limit = caps.reindex(held.index.get_level_values("rule")).fillna(np.inf).to_numpy()
        held = np.sign(held) * np.minimum(held.abs(), limit)
        engaged = held.groupby(level="lead_id").sum().reindex(due.index[open_], fill_value=0.0)
        due[engaged.index[~_held(fit[engaged.index].to_numpy(), engaged.to_numpy(), model)]] = later
    dates = [None if d < 0 else (run_date + timedelta(days=int(d))).isoformat()
             for d in due.reindex(leads["lead_id"], fill_value=-1)]
    return pd.Series(dates, index=leads.index, dtype=object)
