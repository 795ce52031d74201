"""A scoring model learned from the warehouse's own outcomes, written in the model's own language.

Plain functions over DataFrames: `training_set` builds point-in-time snapshots (each lead as it
stood `snapshot_days` after it arrived, each activity type's decayed count on that date, and a
label only where the horizon has passed); `fit_scorecard` bins every attribute (decision-tree
optimal binning on the training window), fits a logistic regression on the bins and the capped
engagement counts, and scales it to integer points; `scorecard_model` writes that as a scoring
model; `snapshot_scores` scores snapshots with any scoring model exactly as the nightly run would.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tasks.intake.contract import ACTIVITY_TYPES, LEAD_COLUMNS
from tasks.scoring.model import EngagementSection, ScoringModel, load_yaml_config
from tasks.scoring.score import (category_text, combine_scores, derive_attributes, earned, present_values,
                                 score_fit)
from tasks.screening.normalize import per_distinct

TARGETS: dict[str, tuple[str, ...]] = {
    "won": ("won",),
    "opportunity": ("opportunity", "won"),
    "sql": ("opportunity", "won"),  # an opportunity is what makes a lead an SQL
}
OTHER = "\x00other"       # the bin of rare and unseen categories
ACTIVITY_PREFIX = "activity:"


class FitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    snapshot_days: int = Field(7, ge=0)
    min_positives: int = Field(100, ge=1)
    validation_share: float = Field(0.25, gt=0, lt=1)
    points_to_double_odds: float = Field(20, gt=0)
    max_bins: int = Field(6, ge=2)
    min_bin_share: float = Field(0.02, gt=0, lt=0.5)
    min_category_count: int = Field(10, ge=1)
    engagement_cap_quantile: float = Field(0.95, gt=0, le=1)
    regularization: float = Field(1.0, gt=0)
    default_mql_share: float = Field(0.10, gt=0, lt=1)
    target_rate_min_mqls: int = Field(20, ge=1)
    ceiling_max_leads: int = Field(300_000, ge=1000)
    grade_shares: dict[str, float] = Field(default_factory=lambda: {"A": 0.1, "B": 0.2, "C": 0.3})
    missing_values: list[str] = Field(default_factory=list)
    exclude_fields: list[str] = Field(default_factory=list)


def load_fit_config(path: Path) -> FitConfig:
    return load_yaml_config(path, FitConfig, "model fitting config", empty_ok=True)


# --- the point-in-time training set ---------------------------------------------------------


@dataclass(frozen=True)
class TrainingSet:
    snapshots: pd.DataFrame   # lead_id, snapshot_date, label (1/0, NaN: not matured), profile columns
    activities: pd.DataFrame  # the snapshot leads' countable activities up to their snapshot date
    as_of: date
    horizon_days: int


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(str).str.slice(0, 10), format="%Y-%m-%d")


def training_set(history: pd.DataFrame, activities: pd.DataFrame, outcomes: pd.DataFrame, target: str,
                 horizon_days: int, as_of: date, config: FitConfig) -> TrainingSet:
    """Each lead as it stood `snapshot_days` after it first arrived (its last stored state on or
    before that date), labelled 1 when the target outcome was loaded within `horizon_days` after
    it, 0 when not, NaN when the horizon has not passed by `as_of`. Leads that reached the
    target by their snapshot date are left out (nothing left to predict)."""
    # The dates and the choice of rows first, on a narrow frame: the wide one is copied once.
    dates = pd.DataFrame({"lead_id": history["lead_id"].to_numpy(), "run_date": _dates(history["run_date"]).to_numpy(),
                          "first_run_date": _dates(history["first_run_date"]).to_numpy()})
    dates["snapshot_date"] = dates["first_run_date"] + pd.Timedelta(days=config.snapshot_days)
    cutoff = pd.Timestamp(as_of)
    known = dates[(dates["run_date"] <= dates["snapshot_date"]) & (dates["snapshot_date"] <= cutoff)]
    chosen = known.sort_values(["lead_id", "run_date"]).drop_duplicates("lead_id", keep="last")
    snapshots = history.iloc[chosen.index.to_numpy()].assign(
        **{c: chosen[c].to_numpy() for c in ("run_date", "first_run_date", "snapshot_date")})
    reached = outcomes[outcomes["status"].isin(TARGETS[target])].assign(run_date=lambda f: _dates(f["run_date"]))
    first = reached.groupby("lead_id")["run_date"].min()

    def reached_by(leads: pd.Series) -> pd.Series:  # NaT: not reached (no leads or no outcomes: no error)
        return pd.Series(first.reindex(leads.to_numpy()).to_numpy(), index=leads.index, dtype=first.dtype)

    reached_at = reached_by(snapshots["lead_id"])
    snapshots = snapshots[~(reached_at <= snapshots["snapshot_date"])].copy()
    reached_at = reached_by(snapshots["lead_id"])
    horizon = snapshots["snapshot_date"] + pd.Timedelta(days=horizon_days)
    label = (reached_at <= horizon).astype(float)
    snapshots["label"] = label.where(horizon <= cutoff)
    snapshots = snapshots.drop(columns=["run_date"]).reset_index(drop=True)
    acts = activities.assign(run_date=_dates(activities["run_date"]))
    acts = acts.merge(snapshots[["lead_id", "snapshot_date"]], on="lead_id")
    acts = acts[acts["run_date"] <= acts["snapshot_date"]].reset_index(drop=True)
    return TrainingSet(snapshots=snapshots, activities=acts, as_of=as_of, horizon_days=horizon_days)


def time_split(snapshots: pd.DataFrame, share: float) -> tuple[pd.Series, pd.Series]:
    """Train and validation masks over the matured snapshots: the newest `share` of snapshot
    dates validates (a date is never split between the two)."""
    matured = snapshots["label"].notna()
    dates = snapshots.loc[matured, "snapshot_date"].sort_values()
    if dates.empty:
        return matured, matured
    boundary = dates.iloc[min(len(dates) - 1, int(len(dates) * (1 - share)))]
    validation = matured & (snapshots["snapshot_date"] >= boundary)
    train = matured & (snapshots["snapshot_date"] < boundary)
    return train, validation


# --- features --------------------------------------------------------------------------------


def custom_attributes(snapshots: pd.DataFrame, chunk: int = 50_000) -> pd.DataFrame:
    """The snapshots' custom attributes as columns (those named like a contract column are the
    column's to a model, so they are left out); parsed `chunk` leads at a time, so that the
    parsed JSON objects never all live at once."""
    parts = []
    for start in range(0, len(snapshots), chunk):
        text = snapshots["custom_attributes"].iloc[start:start + chunk]
        parsed = per_distinct(text.fillna("{}"), json.loads)
        parts.append(pd.DataFrame([c if isinstance(c, dict) else {} for c in parsed], index=text.index))
    frame = pd.concat(parts) if parts else pd.DataFrame(index=snapshots.index)
    return frame[[c for c in frame.columns if c not in LEAD_COLUMNS and c not in snapshots.columns]]


def attribute_frame(snapshots: pd.DataFrame, live: ScoringModel, config: FitConfig) -> pd.DataFrame:
    """Every candidate attribute of the snapshots: contract columns, derived ones (the live
    model's derivations), custom attributes; identifying fields left out."""
    derived = derive_attributes(snapshots[[c for c in LEAD_COLUMNS if c in snapshots.columns]], live)
    columns = [c for c in LEAD_COLUMNS if c in derived.columns] + list(live.derive)
    frame = pd.concat([derived[columns], custom_attributes(snapshots)], axis=1)
    drop = set(config.exclude_fields) | {"source_system", "source_lead_id", "ip_address", "user_agent", "honeypot",
                                         "form_seconds", "email_consent", "do_not_contact"}
    return frame[[c for c in frame.columns if c not in drop]]


def decayed_counts(training: TrainingSet, engagement: EngagementSection) -> pd.DataFrame:
    """Each snapshot's decayed count of each activity type on its snapshot date (the live model's decay)."""
    acts = training.activities
    weight = engagement.weights((acts["snapshot_date"] - acts["run_date"]).dt.days)
    counts = (acts.assign(weight=weight).pivot_table(index="lead_id", columns="activity_type", values="weight",
                                                     aggfunc="sum", fill_value=0.0))
    counts = counts.reindex(index=training.snapshots["lead_id"], fill_value=0.0).fillna(0.0)
    counts = counts[[t for t in ACTIVITY_TYPES if t in counts.columns]]
    counts.columns = [ACTIVITY_PREFIX + c for c in counts.columns]
    return counts.reset_index(drop=True).set_axis(training.snapshots.index)


def kind_of(values: pd.Series, missing_values: list[str]) -> Literal["numeric", "categorical", "constant"]:
    """How an attribute is binned, judged on (a sample of) its present values."""
    values = values.iloc[:50_000]
    present = values[present_values(values, missing_values)]
    if present.empty or category_text(present).nunique() < 2:
        return "constant"
    numbers = pd.to_numeric(present, errors="coerce")
    return "numeric" if numbers.notna().mean() >= 0.98 and numbers.nunique() > 10 else "categorical"


# --- binning ---------------------------------------------------------------------------------


@dataclass
class Binning:
    """One attribute's bins: numeric edges, or category groups; bin -1 is missing."""

    field: str
    kind: Literal["numeric", "categorical"]
    edges: list[float] = field(default_factory=list)        # numeric: inner edges, bins [e_i, e_i+1)
    groups: list[list[str]] = field(default_factory=list)   # categorical: categories per bin (OTHER in one)

    @property
    def bins(self) -> int:
        return len(self.edges) + 1 if self.kind == "numeric" else len(self.groups)

    def transform(self, values: pd.Series, missing_values: list[str]) -> np.ndarray:
        present = present_values(values, missing_values).to_numpy()
        out = np.full(len(values), -1, dtype=np.int64)
        if self.kind == "numeric":
            numbers = pd.to_numeric(values.where(present), errors="coerce").to_numpy(dtype=float)
            ok = ~np.isnan(numbers)
            out[ok] = np.searchsorted(np.asarray(self.edges), numbers[ok], side="right")
            return out
        lookup = {c: i for i, g in enumerate(self.groups) for c in g}
        other = lookup.get(OTHER, 0)
        text = category_text(values)
        out[present] = text[present].map(lookup).fillna(other).astype(np.int64).to_numpy()
        return out


def _tree_edges(x: np.ndarray, y: np.ndarray, config: FitConfig, min_leaf: int) -> list[float]:
    from sklearn.tree import DecisionTreeClassifier

    if len(x) < 2 * min_leaf:
        return []
    tree = DecisionTreeClassifier(max_leaf_nodes=config.max_bins, min_samples_leaf=min_leaf, random_state=0)
    tree.fit(x.reshape(-1, 1), y)
    return sorted(float(t) for t, f in zip(tree.tree_.threshold, tree.tree_.feature) if f >= 0)


def _monotone_edges(x: np.ndarray, y: np.ndarray, edges: list[float]) -> list[float]:
    """Drop edges until the bins' conversion rates rise (or fall) steadily, in the direction of
    the overall trend: adjacent bins that go against it are merged (pool adjacent violators).
    Wiggles in a numeric attribute's points are noise a reviewer could not explain."""
    edges = list(edges)
    first = np.searchsorted(np.asarray(edges), x, side="right")
    direction = np.sign(np.corrcoef(first, y)[0, 1]) if edges and first.std() > 0 and y.std() > 0 else 1.0
    while edges:
        index = np.searchsorted(np.asarray(edges), x, side="right")
        sums = np.bincount(index, weights=y, minlength=len(edges) + 1)
        counts = np.bincount(index, minlength=len(edges) + 1)
        steps = np.diff(sums / np.maximum(counts, 1)) * (direction or 1.0)
        if (steps >= 0).all():
            break
        edges.pop(int(np.argmin(steps)))  # merge the pair that goes most against the trend
    return edges


def fit_binning(values: pd.Series, label: np.ndarray, kind: str, name: str, config: FitConfig) -> Binning:
    """Optimal bins of one attribute for the label: a shallow decision tree over the values
    (numeric) or over the categories ordered by their smoothed conversion rate (categorical),
    each bin holding at least `min_bin_share` of the leads."""
    present = present_values(values, config.missing_values).to_numpy()
    min_leaf = max(1, int(config.min_bin_share * len(values)))
    if kind == "numeric":
        x = pd.to_numeric(values.where(present), errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(x)
        edges = _tree_edges(x[ok], label[ok], config, min_leaf)
        return Binning(name, "numeric", edges=_monotone_edges(x[ok], label[ok], edges))
    text = category_text(values)[present]
    y = label[present]
    counts = text.value_counts()
    kept = set(counts[counts >= config.min_category_count].index)  # the rest share the `other` bin
    token = text.where(text.isin(kept), OTHER)
    prior = float(label.mean())
    stats = pd.DataFrame({"token": token.to_numpy(), "y": y}).groupby("token")["y"].agg(["sum", "count"])
    rate = (stats["sum"] + prior * 20) / (stats["count"] + 20)
    order = rate.sort_values(kind="stable").index.tolist()
    rank = token.map({t: i for i, t in enumerate(order)}).to_numpy(dtype=float)
    edges = _tree_edges(rank, y, config, min_leaf)
    group = np.searchsorted(np.asarray(edges), np.arange(len(order)), side="right")
    groups = [[order[i] for i in range(len(order)) if group[i] == g] for g in range(len(edges) + 1)]
    if OTHER not in order:
        groups[int(np.argmin([stats.loc[g, "count"].sum() for g in groups]))].append(OTHER)
    return Binning(name, "categorical", groups=[g for g in groups if g])


# --- the scorecard ---------------------------------------------------------------------------


@dataclass
class Scorecard:
    """Integer points per bin and per activity, and what they mean."""

    binnings: list[Binning]
    bin_points: dict[str, list[int]]          # field -> points per bin, then the missing bin's last
    activity_points: dict[str, int]           # activity type -> points per activity
    activity_caps: dict[str, float]           # activity type -> most points the rule holds
    base: int
    factor: float                             # points per unit of log-odds
    even_odds_score: float                    # the score at which the odds are 1:1
    support: dict[str, list[int]]             # field -> training leads per bin (missing last)
    attributes: dict[str, str]                # field -> numeric / categorical (fitted ones)


def design(frame: pd.DataFrame, engagement: pd.DataFrame, binnings: list[Binning], caps: dict[str, float],
           indices: list[np.ndarray]) -> Any:
    """The sparse design matrix: one column per bin (missing included) of every attribute (each
    lead's bin in `indices`, -1 missing), then every activity type's decayed count capped at its cap."""
    from scipy import sparse

    rows, columns, offset = [], [], 0
    for binning, index in zip(binnings, indices):
        rows.append(np.arange(len(frame)))
        columns.append(np.where(index < 0, binning.bins, index) + offset)
        offset += binning.bins + 1
    row, column = (np.concatenate(rows), np.concatenate(columns)) if rows else (np.zeros(0, int), np.zeros(0, int))
    onehot = sparse.csr_matrix((np.ones(len(row)), (row, column)), shape=(len(frame), offset))
    counts = np.column_stack([np.minimum(engagement[ACTIVITY_PREFIX + t].to_numpy(), caps[t]) for t in caps]) \
        if caps else np.zeros((len(frame), 0))
    return sparse.hstack([onehot, sparse.csr_matrix(counts)], format="csr")


def fit_scorecard(frame: pd.DataFrame, engagement: pd.DataFrame, label: np.ndarray, config: FitConfig
                  ) -> Scorecard:
    """Bins, logistic regression and integer points from the training rows."""
    from sklearn.linear_model import LogisticRegression

    missing = config.missing_values
    kinds = {c: kind_of(frame[c], missing) for c in frame.columns}
    binnings = [fit_binning(frame[c], label, k, c, config) for c, k in kinds.items() if k != "constant"]
    binnings = [b for b in binnings if b.bins > 1 or (present_values(frame[b.field], missing).mean() < 1)]
    caps = {}
    for column in engagement.columns:
        positive = engagement.loc[engagement[column] > 0, column]
        if len(positive) >= max(10, config.min_bin_share * len(frame) / 10):
            caps[column[len(ACTIVITY_PREFIX):]] = max(1.0, float(positive.quantile(config.engagement_cap_quantile)))
    indices = [b.transform(frame[b.field], missing) for b in binnings]
    x = design(frame, engagement, binnings, caps, indices)
    regression = LogisticRegression(C=config.regularization, max_iter=2000)
    regression.fit(x, label)
    coef, factor = regression.coef_[0], config.points_to_double_odds / math.log(2)
    bin_points, support, offset, shift = {}, {}, 0, 0.0
    for binning, index in zip(binnings, indices):
        width = binning.bins + 1
        raw = factor * coef[offset:offset + width]
        counts = np.bincount(np.where(index < 0, binning.bins, index), minlength=width)
        low = float(raw[counts > 0].min()) if (counts > 0).any() else 0.0
        bin_points[binning.field] = [int(round(v - low)) for v in raw]
        support[binning.field] = counts.tolist()
        shift += low
        offset += width
    activity_points, activity_caps = {}, {}
    for k, activity in enumerate(caps):
        points = int(round(factor * coef[offset + k]))
        if points:
            activity_points[activity] = points
            activity_caps[activity] = float(math.ceil(abs(points) * caps[activity]))
    zero = factor * float(regression.intercept_[0]) + shift  # the points of a lead with no bin above its lowest
    base = max(0, int(round(zero)))
    return Scorecard(binnings=binnings, bin_points=bin_points, activity_points=activity_points,
                     activity_caps=activity_caps, base=base, factor=factor, even_odds_score=base - zero,
                     support=support, attributes={b.field: b.kind for b in binnings})


def _bin_rules(binning: Binning, points: list[int]) -> list[dict[str, Any]]:
    name = "".join(ch if ch.isalnum() else "_" for ch in binning.field.lower()).strip("_") or "attribute"
    rules: list[dict[str, Any]] = []
    if binning.kind == "numeric":
        edges = [None, *binning.edges, None]
        bins = [{k: v for k, v in (("min", edges[i]), ("max", edges[i + 1])) if v is not None} | {"points": points[i]}
                for i in range(binning.bins)]
        rules.append({"name": f"{name}_bins", "field": binning.field, "op": "bins", "bins": bins})
    else:
        named = sorted({c for g in binning.groups for c in g if c != OTHER})
        for i, group in enumerate(binning.groups):
            if not points[i]:
                continue
            if OTHER in group:
                listed = sorted(set(named) - set(group))
                rules.append({"name": f"{name}_{i + 1}", "field": binning.field, "op": "not_in", "values": listed,
                              "points": points[i]})
            else:
                rules.append({"name": f"{name}_{i + 1}", "field": binning.field, "op": "in", "values": sorted(group),
                              "points": points[i]})
    if points[-1]:
        rules.append({"name": f"{name}_missing", "field": binning.field, "op": "missing", "points": points[-1]})
    return rules


def scorecard_model(card: Scorecard, live: ScoringModel, version: str, half_life_days: float | None,
                    entry_min_total: float, grade_cuts: dict[str, float], missing_values: list[str]) -> dict[str, Any]:
    """The scorecard as a scoring model document (what `mql model fit` writes): the live model's
    derivations, interests, segments and sales rules kept; fit, engagement, grades and MQL entry new
    (`half_life_days` None: the live model's window decay)."""
    fit_rules = [rule for b in card.binnings for rule in _bin_rules(b, card.bin_points[b.field])]
    fit_cap = card.base + sum(max(p) for p in card.bin_points.values())
    engagement_rules = [{"name": activity, "activity_types": [activity], "points": points,
                         "cap": card.activity_caps[activity]} for activity, points in card.activity_points.items()]
    engagement_cap = sum(card.activity_caps[a] for a, p in card.activity_points.items() if p > 0)
    ratio = live.mql.exit_below_total / live.mql.entry_min_total if live.mql.entry_min_total else 1.0
    return {
        "version": version,
        "derive": {k: dict(v) for k, v in live.derive.items()},
        "missing_values": list(missing_values),
        "fit": {"base": card.base, "cap": float(max(1, fit_cap)), "rules": fit_rules},
        "engagement": {**({"half_life_days": half_life_days} if half_life_days is not None
                          else {"decay": live.engagement.decay.model_dump()}), "cap": float(max(1.0, engagement_cap)),
                       "rules": engagement_rules},
        "total_cap": float(max(1, fit_cap) + max(1.0, engagement_cap)),
        "grades": [{"grade": g, "min_fit": float(v)} for g, v in grade_cuts.items()],
        "mql": {"entry_min_total": float(entry_min_total), "entry_min_fit": 0.0,
                "exit_below_total": float(round(entry_min_total * ratio)),
                "disqualify_reasons": list(live.mql.disqualify_reasons)},
        "interests": dict(live.interests),
        "segments": [s.model_dump(exclude_none=True) for s in live.segments],
    }


# --- scoring snapshots with any model ---------------------------------------------------------


def snapshot_scores(training: TrainingSet, model: ScoringModel, chunk: int = 50_000) -> pd.DataFrame:
    """Fit, engagement and total score of every snapshot on its snapshot date under `model`, as
    the nightly run computes them: each engagement rule's daily points (after the daily cap),
    decayed to the snapshot date and summed, then the rule's cap; the model's caps on top.
    Leads are numbered by position, and their fit rules applied `chunk` leads at a time (one
    contribution row per lead and rule is the bulk of the memory)."""
    snapshots = training.snapshots
    position = pd.Series(np.arange(len(snapshots)), index=snapshots["lead_id"].to_numpy())
    sums = []
    for start in range(0, len(snapshots), chunk):
        part = snapshots.iloc[start:start + chunk]
        rows = score_fit(derive_attributes(part, model).assign(lead_id=position.iloc[start:start + chunk].to_numpy()),
                         model)
        sums.append(rows.groupby("lead_id")["points"].sum())
    fit = (pd.concat(sums) if sums else pd.Series(dtype=float)).rename("points").rename_axis("lead_id").reset_index()
    acts = training.activities
    by_day = earned(acts.assign(lead_id=position.reindex(acts["lead_id"].to_numpy()).to_numpy()),
                    model.engagement.rules, ["run_date", "snapshot_date"])
    decay = model.engagement.weights((by_day["snapshot_date"] - by_day["run_date"]).dt.days)
    by_day = by_day.assign(value=by_day["points"] * decay)
    values = by_day.groupby(["lead_id", "rule"], as_index=False)["value"].sum()
    cap = values["rule"].map({r.name: r.cap for r in model.engagement.rules}).astype(float).fillna(np.inf)
    engagement = pd.DataFrame({"lead_id": values["lead_id"],
                               "points": np.sign(values["value"]) * np.minimum(values["value"].abs(), cap)})
    scores = combine_scores(pd.Series(np.arange(len(snapshots))), fit, engagement, model)
    return scores.assign(lead_id=snapshots["lead_id"].to_numpy(), snapshot_date=snapshots["snapshot_date"].to_numpy(),
                         label=snapshots["label"].to_numpy())


def grade_cuts(fit_scores: pd.Series, shares: dict[str, float]) -> dict[str, float]:
    """Grade thresholds on the fit score: the top share gets the first grade, and so on."""
    cuts, above = {}, 0.0
    for grade, share in shares.items():
        above += share
        cuts[grade] = float(fit_scores.quantile(1 - above)) if above < 1 else 0.0
    return cuts


def weeks(dates: pd.Series) -> float:
    """Weeks the dates span (whole days, first and last included)."""
    return ((dates.max() - dates.min()).days + 1) / 7 if len(dates) else 1.0


def choose_threshold(total: pd.Series, dates: pd.Series, mql_per_week: float | None, share: float) -> float:
    """The lowest total whose leads at or above it come to `mql_per_week` a week (or `share` of
    the leads) on the validation window."""
    wanted = mql_per_week * weeks(dates) if mql_per_week else share * len(total)
    ordered = np.sort(total.to_numpy())[::-1]
    if not len(ordered):
        return 0.0
    k = int(min(len(ordered), max(1, round(wanted))))
    return round(float(ordered[k - 1]), 1)


@dataclass(frozen=True)
class RateThreshold:
    """The lowest total whose MQLs convert at `rate` or better (None: no total reaches the rate
    asked for; `best_rate` is then the best one reachable with enough MQLs)."""

    threshold: float | None
    rate: float | None
    mqls: int
    best_rate: float


def threshold_for_rate(total: pd.Series, label: pd.Series, wanted: float, min_mqls: int) -> RateThreshold:
    """The MQL entry total for a target MQL-to-outcome rate on the validation window: of the
    totals whose leads at or above it (at least `min_mqls` of them) convert at `wanted` or
    better, the lowest, so the most MQLs that still reach the rate. Thresholds are whole tenths
    (a total's MQLs are those at or above it, as the model file's entry rule counts them)."""
    tenths = np.round(np.floor(total.to_numpy(dtype=float) * 10 + 1e-9) / 10, 1)
    frame = pd.DataFrame({"total": tenths, "label": label.to_numpy(dtype=float)})
    by_total = frame.groupby("total")["label"].agg(["sum", "count"]).sort_index(ascending=False)
    mqls, converted = by_total["count"].cumsum(), by_total["sum"].cumsum()
    rate = (converted / mqls)[mqls >= min(min_mqls, len(frame))]
    if rate.empty:
        return RateThreshold(None, None, 0, 0.0)
    reaching = rate[rate >= wanted - 1e-12]
    if reaching.empty:
        return RateThreshold(None, None, 0, float(rate.max()))
    lowest = float(reaching.index.min())
    return RateThreshold(lowest, float(reaching[lowest]), int(mqls[lowest]), float(rate.max()))
