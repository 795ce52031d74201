"""How the score ranks leads: conversion by first-day score band and the ROC AUC, from the
`dashboard_ranking` groups (leads per whole first-day score and how many reached each outcome). The
dashboard charts it across its window; every run report watches the live model on the latest
matured cohort and flags an anomaly when its AUC falls by more than the configured margin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from tasks.reporting.monitoring import AnomalyCheck, ModelRankingCheck, _table
from tasks.warehouse.connection import query

RANKING_BANDS = 5
OUTCOMES = {"sales_accepted": "sales accepted", "won": "won"}


def ranking_frame(scored: pd.DataFrame, bands: int = RANKING_BANDS) -> pd.DataFrame:
    """Leads by score band: the `dashboard_ranking` groups (leads per whole score, and how many reached
    sales acceptance and won) cut into `bands` bands of about equal size, lowest scores first, each
    with its score range and each outcome's rate. A score is never split between two bands."""
    scored = scored.assign(**{c: pd.to_numeric(scored[c], errors="coerce").fillna(0)
                              for c in ("score", "leads", *OUTCOMES)}).sort_values("score")
    total = scored["leads"].sum()
    if not total:
        return pd.DataFrame(columns=["band", "low", "high", "leads", *OUTCOMES])
    # The band of a score: by the share of leads scored below it, so that bands hold about total/bands.
    below = scored["leads"].cumsum() - scored["leads"]
    band = (below * bands // total).astype(int)
    grouped = scored.assign(band=band).groupby("band", as_index=False).agg(
        low=("score", "min"), high=("score", "max"), leads=("leads", "sum"),
        **{c: (c, "sum") for c in OUTCOMES})
    grouped["band"] = [f"{low:g}" if low == high else f"{low:g} to {high:g}"
                       for low, high in zip(grouped["low"], grouped["high"])]
    return grouped


def ranking_auc(scored: pd.DataFrame, outcome: str) -> float | None:
    """ROC AUC of the first-day score for `outcome` from the grouped counts (the chance that a lead
    that reached it scored above one that did not; ties count half); None without both kinds."""
    frame = scored.sort_values("score")
    positive = pd.to_numeric(frame[outcome]).to_numpy(dtype=float)
    negative = pd.to_numeric(frame["leads"]).to_numpy(dtype=float) - positive
    if not positive.sum() or not negative.sum():
        return None
    below = negative.cumsum() - negative
    return float((positive * (below + negative / 2)).sum() / (positive.sum() * negative.sum()))


def ranking_chart(scored: pd.DataFrame, what: str = "Model ranking") -> tuple[str, Any] | None:
    """(title, chart) of how the score ranks leads: per first-day score band, the share of its leads
    that reached sales acceptance and that won, with counts; the title (starting with `what`) gives
    the ROC AUC of each."""
    import altair as alt

    bands = ranking_frame(scored)
    if bands.empty:
        return None
    rates = pd.DataFrame([{"band": r["band"], "outcome": label, "rate": r[c] / r["leads"],
                           "label": f"{int(r[c])} of {int(r['leads'])}"}
                          for _, r in bands.iterrows() for c, label in OUTCOMES.items()])
    order = bands["band"].tolist()
    x = alt.X("band:N", sort=order, title="score on the lead's first run date (bands of about equal leads)",
              axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(rates).mark_bar().encode(
        x=x, xOffset=alt.XOffset("outcome:N", sort=list(OUTCOMES.values())),
        y=alt.Y("rate:Q", title="share of the band's leads", axis=alt.Axis(format="%")),
        color=alt.Color("outcome:N", sort=list(OUTCOMES.values()), title="reached"))
    text = alt.Chart(rates).mark_text(dy=-5, fontSize=9).encode(
        x=alt.X("band:N", sort=order), xOffset=alt.XOffset("outcome:N", sort=list(OUTCOMES.values())),
        y=alt.Y("rate:Q"), text=alt.Text("label:N"))
    aucs = [f"{label} {auc:.2f}" if (auc := ranking_auc(scored, c)) is not None else f"{label} n/a"
            for c, label in OUTCOMES.items()]
    title = (f"{what}: conversion by score band ({int(bands['leads'].sum())} leads; "
             f"ROC AUC {', '.join(aucs)})")
    return title, (bars + text).properties(width=max(420, 110 * len(bands)), height=220)


@dataclass(frozen=True)
class Cohort:
    """The leads of the first run dates `first` to `last`, grouped by first-day score."""
    first: date
    last: date
    scored: pd.DataFrame   # score, leads, sales_accepted, won

    @property
    def leads(self) -> int:
        return int(pd.to_numeric(self.scored["leads"]).sum()) if len(self.scored) else 0

    def positives(self, outcome: str) -> int:
        return int(pd.to_numeric(self.scored[outcome]).sum()) if len(self.scored) else 0

    def auc(self, outcome: str) -> float | None:
        return ranking_auc(self.scored, outcome) if len(self.scored) else None

    @property
    def dates(self) -> str:
        return f"first run dates {self.first} to {self.last}"


def cohort_windows(run_date: date, config: ModelRankingCheck) -> tuple[tuple[date, date], tuple[date, date]]:
    """The latest matured cohort's first run dates (the `cohort_days` dates ending `horizon_days`
    before the run date) and the previous cohort's (the `cohort_days` dates before those)."""
    last = run_date - timedelta(days=config.horizon_days)
    first = last - timedelta(days=config.cohort_days - 1)
    return (first, last), (first - timedelta(days=config.cohort_days), first - timedelta(days=1))


def read_cohorts(conn: Connection, run_date: date, config: ModelRankingCheck) -> tuple[Cohort, Cohort]:
    """The latest matured cohort and the one before it, as the warehouse has them now."""
    return tuple(Cohort(first, last, query(conn, "dashboard_ranking", {"since": first, "through": last}))
                 for first, last in cohort_windows(run_date, config))  # type: ignore[return-value]


@dataclass(frozen=True)
class RankingWatch:
    config: ModelRankingCheck
    current: Cohort
    previous: Cohort
    check: AnomalyCheck | None   # None: not checked, for `skipped`
    skipped: str | None

    @property
    def baseline(self) -> str:
        if self.config.baseline_auc is not None:
            return "the configured baseline"
        return f"the previous cohort ({self.previous.dates})"


def watch_ranking(current: Cohort, previous: Cohort, config: ModelRankingCheck) -> RankingWatch:
    """The check of the live model's ranking: its AUC for the configured outcome on the latest
    matured cohort, against the previous cohort's (or the configured baseline); skipped, with the
    reason, when a cohort compared has fewer than `min_positives` leads that reached the outcome
    (or none that did not)."""
    outcome, label = config.outcome, OUTCOMES[config.outcome]
    cohorts = [("the latest matured cohort", current)]
    if config.baseline_auc is None:
        cohorts.append(("the previous cohort", previous))
    for name, cohort in cohorts:
        positives = cohort.positives(outcome)
        if positives < config.min_positives:
            reason = (f"{name} ({cohort.dates}) has {positives} of {cohort.leads} leads that reached {label}, "
                      f"fewer than the {config.min_positives} needed (model_ranking.min_positives)")
            return RankingWatch(config, current, previous, None, reason)
        if cohort.auc(outcome) is None:
            reason = f"{name} ({cohort.dates}): every one of its {cohort.leads} leads reached {label}"
            return RankingWatch(config, current, previous, None, reason)
    value = current.auc(outcome)
    baseline = config.baseline_auc if config.baseline_auc is not None else previous.auc(outcome)
    assert value is not None and baseline is not None
    check = AnomalyCheck("ranking_auc", value, baseline, f"{config.max_auc_drop:g}",
                         baseline - value > config.max_auc_drop)
    return RankingWatch(config, current, previous, check, None)


def _auc(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def ranking_markdown(watch: RankingWatch) -> str:
    """The summary's section on the live model: AUC per outcome of both cohorts, conversion by score
    band of the latest, and the check's status (or why it was skipped)."""
    config, current, previous = watch.config, watch.current, watch.previous
    lines = [f"## Live model ranking: latest matured cohort ({current.dates}, matured {config.horizon_days} days)\n"]
    rows = [{"cohort": f"latest: {cohort.first} to {cohort.last}" if cohort is current
             else f"previous: {cohort.first} to {cohort.last}", "leads": cohort.leads,
             **{label: cohort.positives(c) for c, label in OUTCOMES.items()},
             **{f"AUC {label}": _auc(cohort.auc(c)) for c, label in OUTCOMES.items()}}
            for cohort in (current, previous)]
    lines.append(_table(rows, list(rows[0])))
    bands = ranking_frame(current.scored)
    if len(bands):
        lines.append(_table([{"score band": b["band"], "leads": int(b["leads"]),
                              **{label: f"{int(b[c])} ({b[c] / b['leads']:.1%})" for c, label in OUTCOMES.items()}}
                             for _, b in bands.iterrows()], ["score band", "leads", *OUTCOMES.values()]))
    else:
        lines.append("No scored leads in the latest matured cohort.\n")
    label = OUTCOMES[config.outcome]
    if watch.check is None:
        lines.append(f"AUC check ({label}): not checked: {watch.skipped}.\n")
    else:
        status = "**ANOMALY**" if watch.check.fired else "ok"
        lines.append(f"AUC check ({label}): {watch.check.value:.3f} against {watch.baseline} "
                     f"{watch.check.baseline:.3f}, allowed drop {config.max_auc_drop:g}: {status}\n")
    return "\n".join(lines)


def ranking_report_chart(watch: RankingWatch) -> tuple[str, str] | None:
    """(title, SVG) of the latest matured cohort's conversion by score band, for the run report."""
    from tasks.reporting.charts import svg

    chart = ranking_chart(watch.current.scored, f"Live model on the latest matured cohort ({watch.current.dates})")
    return None if chart is None else (chart[0], svg(chart[1]))
