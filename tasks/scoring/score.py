"""Fit and engagement scoring from the scoring model, with a contribution ledger.

Engagement is recomputed, not incremented: each rule's decayed value carried from the lead's
last scoring is multiplied by the decay since then, today's points are added, caps applied.
The carried value lives in the lead's contributions (`lead_scores.contributions`), so a night never
replays old events.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from tasks.intake.contract import LEAD_COLUMNS
from tasks.scoring.model import (BASE_RULE, DERIVED, LAST_GRADE, LAST_LEVEL, Condition, EngagementRule, FitRule,
                                 ScoringModel)
from tasks.screening.normalize import per_distinct

# A carried engagement value smaller than this has faded out and is no longer stored.
FADED = 0.01
CONTRIBUTION_COLUMNS = ["lead_id", "kind", "rule", "raw_points", "decay_factor", "decayed_value", "points"]
# The activities of a window decay's earlier days, as the load_state stage reads them.
WINDOW_COLUMNS = ["lead_id", "run_date", "activity_type", "asset", "campaign", "value"]


# How `lead_scores.contributions` holds a lead's contributions: one JSON list of these per rule.
LEDGER_FIELDS = ["kind", "rule", "raw_points", "decay_factor", "decayed_value", "points"]


def ledgers(contributions: pd.DataFrame, lead_ids: pd.Series) -> pd.Series:
    """Each lead's contributions (CONTRIBUTION_COLUMNS) as `lead_scores.contributions` keeps them:
    one JSON list of [kind, rule, raw_points, decay_factor, decayed_value, points] lists, in the
    order of kind and rule; "[]" for a lead without any. Aligned with `lead_ids`. Built column-wise
    by Arrow (numbers in their shortest exact form), a lead's lists joined without a Python string
    per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    codes, leads = pd.factorize(contributions["lead_id"].to_numpy(dtype=object))
    order = np.lexsort([pd.factorize(contributions[name], sort=True)[0] for name in ("rule", "kind")] + [codes])
    fields = [pa.array(per_distinct(contributions[name], json.dumps).to_numpy()[order], pa.string())
              for name in ("kind", "rule")]
    for name in LEDGER_FIELDS[2:]:
        numbers = contributions[name].to_numpy(dtype=float)[order]
        if not np.isfinite(numbers).all():
            raise ValueError(f"score contributions: {name} holds a value that is not a finite number")
        fields.append(pc.cast(pa.array(numbers), pa.string()))
    entries = pc.binary_join_element_wise("[", pc.binary_join_element_wise(*fields, ","), "]", "")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(leads)))]).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), entries), ",")
    written = pc.binary_join_element_wise("[", joined, "]", "").to_numpy(zero_copy_only=False)
    by_lead = pd.Series(written, index=pd.Index(leads, dtype=object), dtype=object)
    return pd.Series(by_lead.reindex(lead_ids.to_numpy(dtype=object)).fillna("[]").to_numpy(dtype=object),
                     index=lead_ids.index, dtype=object)


def read_ledgers(rows: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """`lead_scores` rows' contributions as a frame: LEDGER_FIELDS, after the `keep` columns of their row."""
    read = [json.loads(text) if isinstance(text, str) else [] for text in rows["contributions"]]
    counts = np.fromiter((len(entries) for entries in read), dtype=np.int64, count=len(read))
    entries = pd.DataFrame([entry for entries in read for entry in entries], columns=LEDGER_FIELDS)
    entries = entries.astype({name: "float64" for name in LEDGER_FIELDS[2:]})
    kept = rows[keep].iloc[np.repeat(np.arange(len(rows)), counts)].reset_index(drop=True)
    return pd.concat([kept, entries], axis=1)


@dataclass(frozen=True)
class Scores:
    scores: pd.DataFrame         # lead_id, fit_score, engagement_score, total_score, grade, matrix_cell
    contributions: pd.DataFrame  # CONTRIBUTION_COLUMNS; points sum to total_score per lead
    # Under a window decay, each rule's points per day of the window (see window_points); else empty.
    window: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["lead_id", "rule", "day", "points"]))


def derive_attributes(profiles: pd.DataFrame, model: ScoringModel) -> pd.DataFrame:
    """Seniority and department from the job title (first matching pattern wins); an attribute
    the model does not derive is empty."""
    titles = profiles["job_title"].fillna("").astype(str)
    out = profiles.copy()
    for attribute in DERIVED:
        if attribute not in model.derive:
            out[attribute] = None
    for attribute, patterns in model.derive.items():
        compiled = [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in patterns.items()]

        def first_label(title: str, compiled=compiled) -> str | None:
            return next((label for label, rx in compiled if rx.search(title)), None) if title.strip() else None

        out[attribute] = per_distinct(titles, first_label)
    return out


def category_text(values: pd.Series) -> pd.Series:
    """Values as fit rules compare them: text without case or surrounding spaces."""
    return values.astype(str).str.strip().str.lower()


def present_values(values: pd.Series, missing_values: list[str] | tuple[str, ...] = ()) -> pd.Series:
    """Whether each value is given: not null, not blank, not one of the model's placeholders."""
    text = category_text(values)
    return values.notna() & (text != "") & ~text.isin([m.strip().lower() for m in missing_values])


def _fit_rule_points(values: pd.Series, rule: FitRule, missing_values: list[str]) -> pd.Series:
    """Points the rule gives each value (NaN: the rule does not apply), before a scaled rule's cap."""
    present = present_values(values, missing_values)
    if rule.op == "scaled":
        return pd.to_numeric(values.where(present), errors="coerce").astype(float) * rule.unit_points
    if rule.op == "bins":
        numbers = pd.to_numeric(values.where(present), errors="coerce").to_numpy(dtype=float)
        points = np.full(len(values), np.nan)
        for b in rule.bins or ():
            low = -np.inf if b.min is None else b.min
            high = np.inf if b.max is None else b.max
            points[(numbers >= low) & (numbers < high)] = b.points
        return pd.Series(points, index=values.index)
    return pd.Series(np.where(_fit_rule_hits(values, rule, present), float(rule.points), np.nan), index=values.index)


def _fit_rule_hits(values: pd.Series, rule: FitRule | Condition, present: pd.Series) -> pd.Series:
    if rule.op == "missing":
        return ~present
    if rule.op == "range":
        numbers = pd.to_numeric(values.where(present), errors="coerce")
        low = numbers >= rule.min if rule.min is not None else True
        high = numbers <= rule.max if rule.max is not None else True
        return numbers.notna() & low & high
    text = category_text(values)
    if rule.op == "equals":
        return present & (text == str(rule.value).strip().lower())
    if rule.op in ("in", "not_in"):
        listed = text.isin([str(v).strip().lower() for v in rule.values or ()])
        return present & (listed if rule.op == "in" else ~listed)
    pattern = re.compile(rule.pattern or "", re.IGNORECASE)
    return present & per_distinct(values.astype(str), lambda v: bool(pattern.search(v))).astype(bool)


def _attribute(profiles: pd.DataFrame, field: str, model: ScoringModel, customs: dict[str, pd.Series]) -> pd.Series:
    """A model field: a contract column or a derived attribute, else the custom attribute of that
    name (even one named like a column the pipeline adds, such as lead_id). `customs` keeps the
    parsed custom attributes, so that each lead's JSON is read once, not once per rule."""
    if field in LEAD_COLUMNS or field in model.derive:
        return profiles[field]
    if "" not in customs:
        customs[""] = per_distinct(profiles["custom_attributes"], json.loads)
    if field not in customs:
        customs[field] = customs[""].map(lambda c: c.get(field) if isinstance(c, dict) else None)
    return customs[field]


def condition_holds(profiles: pd.DataFrame, condition: FitRule | Condition, model: ScoringModel,
                    customs: dict[str, pd.Series]) -> pd.Series:
    """Whether each lead meets the condition: a single-field test, or `all` / `any` / `not` of
    conditions (`not` holds where its condition does not, a missing value included)."""
    if condition.combination is None:
        values = _attribute(profiles, condition.field, model, customs)
        hits = _fit_rule_hits(values, condition, present_values(values, model.missing_values))
        return pd.Series(np.asarray(hits, dtype=bool), index=profiles.index)
    held = [condition_holds(profiles, c, model, customs) for c in condition.conditions]
    if condition.combination == "not":
        return ~held[0]
    combine = np.logical_and if condition.combination == "all" else np.logical_or
    return pd.Series(combine.reduce([h.to_numpy() for h in held]), index=profiles.index)


def score_fit(profiles: pd.DataFrame, model: ScoringModel) -> pd.DataFrame:
    """One contribution row per lead and fit rule that applies (and the base score, when not 0);
    a scaled rule's row has its points before the cap as `raw_points` and `decayed_value`."""
    parts = []
    if model.fit.base:
        parts.append(pd.DataFrame({"lead_id": profiles["lead_id"], "rule": BASE_RULE, "raw": float(model.fit.base)}))
    customs: dict[str, pd.Series] = {}
    for rule in model.fit.rules:
        if rule.combination is not None:
            points = np.where(condition_holds(profiles, rule, model, customs).to_numpy(), float(rule.points), np.nan)
        else:
            values = _attribute(profiles, rule.field, model, customs)
            points = _fit_rule_points(values, rule, model.missing_values).to_numpy()
        hit = ~np.isnan(points)
        parts.append(pd.DataFrame({"lead_id": profiles.loc[hit, "lead_id"], "rule": rule.name, "raw": points[hit]}))
    fit = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["lead_id", "rule", "raw"])
    caps = fit["rule"].map({r.name: r.cap for r in model.fit.rules if r.cap is not None}).astype(float)
    return pd.DataFrame({"lead_id": fit["lead_id"], "rule": fit["rule"], "points": _clip(fit["raw"], caps),
                         "kind": "fit", "raw_points": fit["raw"], "decay_factor": 1.0, "decayed_value": fit["raw"]})


def engagement_rule_index(activities: pd.DataFrame, rules: list[EngagementRule]) -> pd.Series:
    """Index of the first engagement rule each activity matches (-1: none)."""
    chosen = pd.Series(-1, index=activities.index)
    empty = pd.Series("", index=activities.index)
    texts = {"asset": activities.get("asset", empty).fillna("").astype(str),
             "campaign": activities.get("campaign", empty).fillna("").astype(str)}
    for position, rule in enumerate(rules):
        hit = (chosen == -1) & activities["activity_type"].isin(rule.activity_types)
        for field, pattern in (("asset", rule.asset_pattern), ("campaign", rule.campaign_pattern)):
            if pattern:
                rx = re.compile(pattern, re.IGNORECASE)
                hit &= per_distinct(texts[field], lambda text, rx=rx: bool(rx.search(text))).astype(bool)
        chosen[hit] = position
    return chosen


def _clip(values: pd.Series, limits: pd.Series) -> pd.Series:
    """Clip in absolute value, keeping the sign (negative rules have caps too)."""
    return np.sign(values) * np.minimum(values.abs(), limits.fillna(np.inf))


def activity_values(activities: pd.DataFrame) -> np.ndarray:
    """Each activity's `value` as a number (0 where it has none, or the frame has no such column)."""
    if "value" not in activities.columns:
        return np.zeros(len(activities))
    return pd.to_numeric(activities["value"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def earned(activities: pd.DataFrame, rules: list[EngagementRule], by: list[str]) -> pd.DataFrame:
    """Points of the activities per lead, rule (the first each matches) and `by`, after the rule's
    daily cap: a count rule's points per activity, a value rule's points per unit of its value."""
    by_name = {r.name: r for r in rules}
    chosen = activities.assign(rule_index=engagement_rule_index(activities, rules))
    chosen = chosen[chosen["rule_index"] >= 0]
    position = chosen["rule_index"].to_numpy()
    measured = np.where(np.array([r.measure == "value" for r in rules], dtype=bool)[position],
                        activity_values(chosen), 1.0)
    chosen = chosen.assign(rule=np.array([r.name for r in rules], dtype=object)[position],
                           points=np.array([r.unit_points for r in rules], dtype=float)[position] * measured)
    sums = chosen.groupby(["lead_id", "rule", *by], as_index=False)["points"].sum()
    sums["points"] = _clip(sums["points"], sums["rule"].map(lambda r: by_name[r].daily_cap))
    return sums


def window_points(lead_ids: pd.Series, window_activities: pd.DataFrame, activities: pd.DataFrame, run_date: date,
                  model: ScoringModel) -> pd.DataFrame:
    """Under a window decay, each rule's points per day of the window ending on `run_date` (lead_id,
    rule, day, points after the daily cap): the countable activities loaded on the window's
    earlier run dates (`window_activities`: lead_id, run_date, activity_type, asset, campaign) and
    today's."""
    columns = ["lead_id", "activity_type", "asset", "campaign", "value"]
    today = pd.Timestamp(run_date)
    past = window_activities[window_activities["lead_id"].isin(lead_ids)]
    days = pd.concat([past.reindex(columns=columns).assign(day=pd.to_datetime(past["run_date"]).dt.normalize()),
                      activities.reindex(columns=columns).assign(day=today)], ignore_index=True)
    per_day = earned(days, model.engagement.rules, ["day"])
    age = (today - per_day["day"]).dt.days
    return per_day[(age >= 0) & (age < (model.engagement.window_days or 1))].reset_index(drop=True)


def _windowed(per_day: pd.DataFrame, run_date: date, model: ScoringModel) -> pd.DataFrame:
    """Engagement rows from a window's points per day: `raw_points` today's, `decayed_value` the
    window's sum (`decay_factor` 1: a day counts fully until it leaves the window)."""
    by_name = {r.name: r for r in model.engagement.rules}
    today = per_day["day"] == pd.Timestamp(run_date)
    rows = per_day.groupby(["lead_id", "rule"], as_index=False)["points"].sum().rename(
        columns={"points": "decayed_value"})
    raw = per_day[today].groupby(["lead_id", "rule"])["points"].sum().rename("raw_points")
    rows = rows.merge(raw, on=["lead_id", "rule"], how="left").fillna({"raw_points": 0.0})
    rows = rows[(rows["decayed_value"].abs() >= FADED) | (rows["raw_points"] != 0)]
    rows = rows.assign(decay_factor=1.0, kind="engagement")
    rows["points"] = _clip(rows["decayed_value"], rows["rule"].map(lambda r: by_name[r].cap))
    return rows


def replayed_state(activities: pd.DataFrame, run_date: date, model: ScoringModel) -> pd.DataFrame:
    """The engagement state (lead_id, rule, decayed_value, state_date) that leads would carry out of
    the day before `run_date` had `activities` (WINDOW_COLUMNS: every countable activity before
    it) been theirs all along: each run date's points after the daily cap, decayed to that day.
    A lead merged from two is scored so, from the combined activity, never from two summed scores."""
    columns = ["lead_id", "rule", "decayed_value", "state_date"]
    if activities.empty:
        return pd.DataFrame(columns=columns)
    day = pd.Timestamp(run_date) - pd.Timedelta(days=1)
    per_day = earned(activities.assign(day=pd.to_datetime(activities["run_date"]).dt.normalize()),
                     model.engagement.rules, ["day"])
    per_day["decayed_value"] = per_day["points"] * model.engagement.weights((day - per_day["day"]).dt.days)
    rows = per_day.groupby(["lead_id", "rule"], as_index=False)["decayed_value"].sum()
    rows = rows[rows["decayed_value"].abs() >= FADED]
    return rows.assign(state_date=day.date().isoformat())[columns].reset_index(drop=True)


def score_engagement(
    lead_ids: pd.Series, state: pd.DataFrame, activities: pd.DataFrame, run_date: date, model: ScoringModel,
    window_activities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Engagement contributions for `lead_ids` on `run_date`.

    `state`: carried values (lead_id, rule, decayed_value, state_date) from each lead's last
    scoring before `run_date`. `activities`: today's countable activities (lead_id, activity_type, asset).
    Under a window decay the carried values are not read: each rule's value is the sum of the
    window's days, from `window_activities` (see `window_points`) and today's.
    """
    if model.engagement.window_days is not None:
        past = window_activities if window_activities is not None else pd.DataFrame(columns=WINDOW_COLUMNS)
        return _windowed(window_points(lead_ids, past, activities, run_date, model), run_date, model)
    rules = model.engagement.rules
    by_name = {r.name: r for r in rules}
    today = earned(activities, rules, [])

    carried = state[state["lead_id"].isin(lead_ids) & state["rule"].isin(by_name)].copy()
    elapsed = (pd.Timestamp(run_date) - pd.to_datetime(carried["state_date"])).dt.days
    carried["decay_factor"] = model.engagement.weights(elapsed)
    rows = carried[["lead_id", "rule", "decayed_value", "decay_factor"]].rename(columns={"decayed_value": "carried"})
    rows = rows.merge(today.rename(columns={"points": "raw_points"}), on=["lead_id", "rule"], how="outer")
    rows = rows.fillna({"carried": 0.0, "decay_factor": 1.0, "raw_points": 0.0})
    rows["decayed_value"] = rows["carried"] * rows["decay_factor"] + rows["raw_points"]
    rows = rows[(rows["decayed_value"].abs() >= FADED) | (rows["raw_points"] != 0)]
    rows["points"] = _clip(rows["decayed_value"], rows["rule"].map(lambda r: by_name[r].cap))
    return rows.assign(kind="engagement").drop(columns="carried")


def _cap_rows(sums: pd.Series, floor: float, cap: float, rule: str) -> pd.DataFrame:
    """Adjustment rows that bring a score sum into [floor, cap], so contributions still sum to the score."""
    adjusted = sums.clip(lower=floor, upper=cap)
    delta = adjusted - sums
    delta = delta[delta.abs() > 1e-12]
    return pd.DataFrame({"lead_id": delta.index, "kind": "cap", "rule": rule, "raw_points": 0.0,
                         "decay_factor": 1.0, "decayed_value": 0.0, "points": delta.to_numpy()})


def grade(fit: pd.Series, model: ScoringModel) -> pd.Series:
    result = pd.Series(LAST_GRADE, index=fit.index, dtype=object)
    for step in reversed(model.grades):
        result[fit >= step.min_fit] = step.grade
    return result


def engagement_level(engagement: pd.Series, model: ScoringModel) -> pd.Series:
    """Engagement level 1-3 of the first listed level whose minimum the engagement score reaches; else 4."""
    result = pd.Series(LAST_LEVEL, index=engagement.index, dtype=int)
    for step in reversed(model.engagement_levels):
        result[engagement >= step.min_engagement] = step.level
    return result


def matrix_cells(fit: pd.Series, engagement: pd.Series, model: ScoringModel) -> pd.Series:
    """Each lead's cell of the fit × engagement matrix, grade and engagement level (`A1` ... `D4`);
    None when the model defines no engagement levels."""
    if not model.engagement_levels:
        return pd.Series(None, index=fit.index, dtype=object)
    return grade(fit, model) + engagement_level(engagement, model).astype(str)


def combine_scores(ids: pd.Series, fit: pd.DataFrame, engagement: pd.DataFrame, model: ScoringModel,
                   caps: list[pd.DataFrame] | None = None) -> pd.DataFrame:
    """Fit, engagement and total score and grade of each lead from its contribution points (lead_id,
    points), with the model's caps; `caps`, when given, receives the cap adjustment rows."""
    index = pd.Index(ids, name="lead_id")
    fit_sum = fit.groupby("lead_id")["points"].sum().reindex(index, fill_value=0.0)
    eng_sum = engagement.groupby("lead_id")["points"].sum().reindex(index, fill_value=0.0)
    fit_score = fit_sum.clip(0.0, model.fit.cap)
    eng_score = eng_sum.clip(0.0, model.engagement.cap)
    if caps is not None:
        caps.extend([_cap_rows(fit_sum, 0.0, model.fit.cap, "fit_cap"),
                     _cap_rows(eng_sum, 0.0, model.engagement.cap, "engagement_cap"),
                     _cap_rows(fit_score + eng_score, 0.0, model.total_cap, "total_cap")])
    scores = pd.DataFrame({
        "lead_id": ids.to_numpy(),
        "fit_score": fit_score.to_numpy(),
        "engagement_score": eng_score.to_numpy(),
        "total_score": (fit_score + eng_score).clip(0.0, model.total_cap).to_numpy(),
    })
    scores["grade"] = grade(scores["fit_score"], model).to_numpy()
    scores["matrix_cell"] = matrix_cells(scores["fit_score"], scores["engagement_score"], model).to_numpy()
    return scores


def score_leads(
    profiles: pd.DataFrame, state: pd.DataFrame, activities: pd.DataFrame, run_date: date, model: ScoringModel,
    window_activities: pd.DataFrame | None = None,
) -> Scores:
    """Fit, engagement and total scores of every profiled lead, and the ledger they sum from
    (`window_activities`: see score_engagement)."""
    ids = profiles["lead_id"]
    fit = score_fit(profiles, model)
    window = None
    if model.engagement.window_days is not None:
        past = window_activities if window_activities is not None else pd.DataFrame(columns=WINDOW_COLUMNS)
        window = window_points(ids, past, activities, run_date, model)
        engagement = _windowed(window, run_date, model)
    else:
        engagement = score_engagement(ids, state, activities, run_date, model)
    caps: list[pd.DataFrame] = []
    scores = combine_scores(ids, fit, engagement, model, caps)
    contributions = pd.concat([fit[CONTRIBUTION_COLUMNS], engagement[CONTRIBUTION_COLUMNS], *caps],
                              ignore_index=True)
    ledger = contributions.sort_values(["lead_id", "kind", "rule"], ignore_index=True)
    return Scores(scores=scores, contributions=ledger) if window is None else Scores(scores, ledger, window)
