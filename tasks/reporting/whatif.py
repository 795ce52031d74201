"""What another scoring model would have done to a range of dates: the live warehouse's funnel beside
a replay of the same dates with that model (`mql model whatif`), and the leads it gains and loses.

Both sides are per-lead frames of the whatif_leads query (lead_id, cohort_date, lead_source,
segment, mql_date); conversions come from the live warehouse's sales outcomes (the
model_outcomes query), the same for both sides: a model changes who becomes an MQL, not what
sales did.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from tasks.scoring.fitting import TARGETS

BREAKDOWNS = ("lead_source", "segment")
SIDES = ("live", "whatif")
SALES_ACCEPTED = ("sales_accepted", *TARGETS["sql"])  # accepted, or a later stage


def _days(values: pd.Series) -> pd.Series:
    """Dates as the databases give them (date objects, or ISO text on SQLite) as timestamps."""
    return pd.to_datetime(values.map(lambda d: None if d is None or pd.isna(d) else str(d)[:10]))


def lead_frame(rows: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The rows of whatif_leads, typed, with whether each MQL went on to be accepted by sales, to reach
    SQL (an opportunity or a win) and to be won, by sales outcomes loaded on or after the date it
    became an MQL."""
    frame = rows.assign(cohort_date=_days(rows["cohort_date"]), mql_date=_days(rows["mql_date"]))
    loaded = outcomes.assign(run_date=_days(outcomes["run_date"]))
    mqls = frame.loc[frame["mql_date"].notna(), ["lead_id", "mql_date"]]
    for name, statuses in (("accepted", SALES_ACCEPTED), ("reached_sql", TARGETS["sql"]), ("won", TARGETS["won"])):
        hits = mqls.merge(loaded[loaded["status"].isin(statuses)], on="lead_id")
        after = set(hits.loc[hits["run_date"] >= hits["mql_date"], "lead_id"])
        frame[name] = frame["lead_id"].isin(after) & frame["mql_date"].notna()
    return frame.sort_values("lead_id", ignore_index=True)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(frame: pd.DataFrame, start: date, end: date) -> dict[str, Any]:
    """The funnel of one side over the range: leads that arrived in it, leads that became MQLs in it
    (a week: over the range's length), lead->MQL (of the arrivals), MQL->sales accepted, MQL->SQL and
    MQL->won (of the MQLs), median days from a lead's first run date to its MQL."""
    weeks = ((end - start).days + 1) / 7
    cohort = frame["cohort_date"].between(pd.Timestamp(start), pd.Timestamp(end))
    mql = frame["mql_date"].notna()
    days = (frame.loc[mql, "mql_date"] - frame.loc[mql, "cohort_date"]).dt.days
    return {"leads": int(cohort.sum()), "mqls": int(mql.sum()), "mqls_per_week": round(int(mql.sum()) / weeks, 1),
            "lead_to_mql_rate": _rate(int((cohort & mql).sum()), int(cohort.sum())),
            "mql_to_sales_accepted_rate": _rate(int(frame["accepted"].sum()), int(mql.sum())),
            "mql_to_sql_rate": _rate(int(frame["reached_sql"].sum()), int(mql.sum())),
            "mql_to_won_rate": _rate(int(frame["won"].sum()), int(mql.sum())),
            "median_days_to_mql": float(np.median(days)) if len(days) else None}


def _both(live: pd.DataFrame, whatif: pd.DataFrame) -> pd.DataFrame:
    columns = ["lead_id", "lead_source", "segment", "mql_date"]
    return live[columns].merge(whatif[columns], on="lead_id", how="outer", suffixes=("_live", "_whatif"))


def changed_leads(live: pd.DataFrame, whatif: pd.DataFrame) -> list[str]:
    """Leads that became MQLs in the range on one side only (gained or lost)."""
    both = _both(live, whatif)
    return sorted(both.loc[both["mql_date_live"].isna() != both["mql_date_whatif"].isna(), "lead_id"])


def _changed(both: pd.DataFrame, scores: dict[str, pd.DataFrame], gained: bool, examples: int) -> dict[str, Any]:
    """Leads that became MQLs in the range on one side only: by lead source and segment (as the side
    that made them MQLs has it), and the first `examples` of them (highest total first), each with
    its fit and total under both models on the date it became an MQL."""
    side, other = ("whatif", "live") if gained else ("live", "whatif")
    leads = both[both[f"mql_date_{side}"].notna() & both[f"mql_date_{other}"].isna()]
    keys = leads[["lead_id", f"mql_date_{side}"]].rename(columns={f"mql_date_{side}": "run_date"})
    for name, frame in scores.items():
        on_date = frame.assign(run_date=_days(frame["run_date"]))
        keys = keys.merge(on_date.rename(columns={"fit_score": f"{name}_fit", "total_score": f"{name}_total"}),
                          on=["lead_id", "run_date"], how="left")
    leads = leads.merge(keys.drop(columns="run_date"), on="lead_id", how="left")
    leads = leads.sort_values([f"{side}_total", "lead_id"], ascending=[False, True])
    rows = [{"lead_id": r["lead_id"], "lead_source": r[f"lead_source_{side}"], "segment": r[f"segment_{side}"],
             "mql_date": str(r[f"mql_date_{side}"].date()),
             **{f"{name}_{kind}": _points(r[f"{name}_{kind}"]) for name in SIDES for kind in ("fit", "total")}}
            for r in leads.head(examples).to_dict("records")]
    return {"count": int(len(leads)),
            **{f"by_{name}": {str(k): int(v) for k, v in leads[f"{name}_{side}"].value_counts().sort_index().items()}
               for name in BREAKDOWNS},
            "examples": rows}


def _points(value: float) -> float | None:
    # Unrounded: a total of 89.96 under an entry of 90 must not show as 90.0.
    return None if pd.isna(value) else float(value)


def compare(live: pd.DataFrame, whatif: pd.DataFrame, scores: dict[str, pd.DataFrame], start: date, end: date,
            examples: int) -> dict[str, Any]:
    """Both sides' funnels over the range, overall and by lead source and segment, and the leads the
    replayed model gains (MQLs it made that the live model did not) and loses (the other way round).
    `scores`: the changed leads' lead_scores rows of the range, by side ("live", "whatif")."""
    sides = {"live": live, "whatif": whatif}
    report: dict[str, Any] = {"overall": {name: figures(frame, start, end) for name, frame in sides.items()}}
    for name in BREAKDOWNS:
        values = sorted(set(live[name]) | set(whatif[name]))
        report[f"by_{name}"] = [{name: value, **{side: figures(frame[frame[name] == value], start, end)
                                                 for side, frame in sides.items()}} for value in values]
    both = _both(live, whatif)
    report["gained"] = _changed(both, scores, True, examples)
    report["lost"] = _changed(both, scores, False, examples)
    return report
