"""Hand-offs: the run date's new MQLs and the leads whose lifecycle stage moved, each with its
scores, grade, nurture segment and the top reasons of its score in words, for a CRM or a
reverse-ETL tool to pick up (table `handoffs`, view `lead_handoffs`, `mql export`); each export
recorded in `handoff_exports`."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime

import pandas as pd

from tasks.scoring.model import Condition, EngagementRule, FitRule, ScoringModel

HANDOFF_COLUMNS = ["run_date", "lead_id", "from_stage", "to_stage", "new_mql", "changed_at", "cause", "fit_score",
                   "engagement_score", "total_score", "grade", "segment", "reasons", "model_version", "matrix_cell"]
TOP_REASONS = 3


def describe_rule(rule: FitRule | EngagementRule) -> str:
    """A rule in words, from its definition: `seniority is director`, `demo request or contact request`,
    `value of page view, 1 point per 60, at most 20`."""
    if isinstance(rule, EngagementRule):
        text = " or ".join(t.replace("_", " ") for t in rule.activity_types)
        if rule.asset_pattern:
            text += f" on assets matching {rule.asset_pattern}"
        if rule.campaign_pattern:
            text += f" in campaigns matching {rule.campaign_pattern}"
        if rule.measure == "value":
            text = f"value of {text}" + (f", {_per(rule)}" if rule.points is None else "")
        return text
    return describe_condition(rule)


def _per(rule: FitRule | EngagementRule) -> str:
    """A scaled rule's rate in words: `1 point per 60, at most 20`."""
    text = f"{rule.points_per:g} point{'' if abs(rule.points_per) == 1 else 's'} per {rule.per:g}"
    return text + (f", at most {rule.cap:g}" if rule.cap is not None else "")


def describe_condition(test: FitRule | Condition, nested: bool = False) -> str:
    """A fit rule's test in words: `seniority is c_level or vp and not (industry is Education)`;
    a combination inside another is in parentheses."""
    if test.combination is not None:
        if test.combination == "not":
            return f"not ({describe_condition(test.conditions[0])})"
        words = f" {'and' if test.combination == 'all' else 'or'} ".join(
            describe_condition(c, nested=True) for c in test.conditions)
        return f"({words})" if nested and len(test.conditions) > 1 else words
    field = test.field.replace("_", " ")
    if test.op == "equals":
        return f"{field} is {test.value}"
    if test.op in ("in", "not_in"):
        listed = (", ".join(test.values[:-1]) + " or " + test.values[-1] if len(test.values) > 1
                  else test.values[0])
        return f"{field} is {'not ' if test.op == 'not_in' else ''}{listed}"
    if test.op == "bins":
        return f"{field} (points by bin)"
    if test.op == "scaled":
        return f"{field}, {_per(test)}"
    if test.op == "missing":
        return f"no {field}"
    if test.op == "pattern":
        return f"{field} matches {test.pattern}"
    if test.max is None:
        return f"{field} at least {test.min:g}"
    if test.min is None:
        return f"{field} at most {test.max:g}"
    return f"{field} {test.min:g} to {test.max:g}"


def reasons(contributions: pd.DataFrame, model: ScoringModel, top: int = TOP_REASONS) -> pd.Series:
    """Per lead, its `top` largest positive contributions in words, largest first:
    `engagement: demo request or contact request +40; fit: seniority is director +20`."""
    rules = {r.name: ("fit", r) for r in model.fit.rules} | {r.name: ("engagement", r) for r in model.engagement.rules}
    described = {name: f"{kind}: {describe_rule(rule)} +" for name, (kind, rule) in rules.items()}
    positive = contributions[(contributions["points"] > 0) & contributions["rule"].isin(list(rules))]
    positive = positive.sort_values(["lead_id", "points", "rule"], ascending=[True, False, True])
    positive = positive.groupby("lead_id", sort=False).head(top)
    joined: dict[str, list[str]] = {}
    for lead, rule, points in zip(positive["lead_id"], positive["rule"], positive["points"]):
        joined.setdefault(lead, []).append(f"{described[rule]}{points:.0f}")
    return pd.Series({lead: "; ".join(words) for lead, words in joined.items()}, dtype=object)


def handoffs(run_date: date, events: pd.DataFrame, scores: pd.DataFrame, contributions: pd.DataFrame,
             enrollments: pd.DataFrame, model: ScoringModel) -> pd.DataFrame:
    """The run date's hand-off rows: one per lead that entered MQL or changed stage (a new lead
    that only became a `lead` is none), with the stage it came from (before the day's first
    transition) and went to (after its last), when and why, its scores, grade, open nurture
    segment and reasons."""
    moved = events[events["from_stage"].notna() | (events["to_stage"] != "lead")]
    if moved.empty:
        return pd.DataFrame(columns=HANDOFF_COLUMNS)
    ordered = events[events["lead_id"].isin(moved["lead_id"])].sort_values(["lead_id", "seq"])
    first = ordered.drop_duplicates("lead_id", keep="first").set_index("lead_id")
    last = ordered.drop_duplicates("lead_id", keep="last").set_index("lead_id")
    entered_mql = set(ordered.loc[ordered["to_stage"] == "mql", "lead_id"])
    rows = pd.DataFrame({
        "lead_id": last.index,
        "from_stage": first["from_stage"].reindex(last.index).to_numpy(),
        "to_stage": last["to_stage"].to_numpy(),
        "new_mql": [lead in entered_mql for lead in last.index],
        "changed_at": last["occurred_at"].to_numpy(),
        "cause": last["cause"].to_numpy(),
    })
    rows = rows.merge(scores.reindex(columns=["lead_id", "fit_score", "engagement_score", "total_score", "grade",
                                              "matrix_cell"]),
                      on="lead_id")
    open_segments = enrollments[enrollments["exited_run_date"].isna()].drop_duplicates("lead_id")
    rows["segment"] = rows["lead_id"].map(open_segments.set_index("lead_id")["segment"]).astype(object)
    rows["segment"] = rows["segment"].where(rows["segment"].notna(), None)
    said = reasons(contributions[contributions["lead_id"].isin(rows["lead_id"])], model)
    rows["reasons"] = rows["lead_id"].map(said).fillna("").astype(object)
    rows["run_date"] = run_date.isoformat()
    rows["model_version"] = model.version
    return rows[HANDOFF_COLUMNS].sort_values("lead_id", ignore_index=True)


EXPORT_FORMATS = ("parquet", "csv")


def export_name(run_date: date, fmt: str) -> str:
    """The export file of a run date: one per date, so re-running the date rewrites it."""
    return f"handoffs_{run_date.isoformat()}.{fmt}"


def export_bytes(rows: pd.DataFrame, fmt: str) -> bytes:
    """The hand-off rows (view lead_handoffs) as a Parquet or CSV file, with the same values whichever
    warehouse they came from: dates as YYYY-MM-DD, times in UTC, new_mql a boolean."""
    import io

    out = rows.copy()
    out["run_date"] = out["run_date"].map(lambda d: str(d)[:10]).astype(object)
    out["changed_at"] = pd.to_datetime(out["changed_at"], utc=True, format="ISO8601")
    out["new_mql"] = out["new_mql"].astype(bool)
    for name in ("fit_score", "engagement_score", "total_score"):
        out[name] = out[name].astype(float)
    buffer = io.BytesIO()
    if fmt == "csv":
        out.assign(changed_at=out["changed_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")).to_csv(buffer, index=False)
    else:
        out.to_parquet(buffer, index=False)
    return buffer.getvalue()


def export_record(run_date: date, where: str, fmt: str, rows: int, data: bytes, exported_at: datetime,
                  exported_by: str) -> dict[str, object]:
    """The handoff_exports row of one export: the file `where` went (as shown, without credentials),
    its format, rows and SHA-256, when and by what (`mql export`, `nightly`)."""
    return {"export_id": str(uuid.uuid4()), "run_date": run_date, "location": where, "file_format": fmt,
            "row_count": rows, "checksum": "sha256:" + hashlib.sha256(data).hexdigest(),
            "exported_at": exported_at, "exported_by": exported_by}
