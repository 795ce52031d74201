"""Monitoring of a run: anomaly checks against a trailing baseline, the run summary (markdown and
tables) and the run report (HTML with inline SVG plots). Plain functions over the run's counts
and small frames read from the warehouse; the flow publishes the results as Prefect artifacts."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import median
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tasks.errors import MqlError
from tasks.scoring.model import load_yaml_config

Counts = dict[str, dict[str, int]]
METRICS = ("input_volume", "reject_rate", "mql_rate")


class AnomalyError(MqlError):
    """An anomaly check fired and the run is configured to fail on anomalies."""


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_relative_change: float | None = Field(None, gt=0)
    max_absolute_change: float | None = Field(None, gt=0)


class ModelRankingCheck(BaseModel):
    """The watch of the live model: its ranking (ROC AUC) on the latest matured cohort against the
    cohort before it (or a fixed baseline)."""
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["sales_accepted", "won"] = "sales_accepted"
    horizon_days: int = Field(30, ge=1)
    cohort_days: int = Field(7, ge=1)
    min_positives: int = Field(30, ge=1)
    max_auc_drop: float = Field(0.05, gt=0, lt=1)
    baseline_auc: float | None = Field(None, gt=0, le=1)


class MonitoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    baseline_days: int = Field(14, ge=1)
    min_baseline_days: int = Field(5, ge=1)
    dashboard_days: int = Field(90, ge=1)
    checks: dict[Literal["input_volume", "reject_rate", "mql_rate"], Check] = Field(default_factory=dict)
    model_ranking: ModelRankingCheck = Field(default_factory=ModelRankingCheck)


def load_monitoring_config(path: Path) -> MonitoringConfig:
    """The anomaly-check thresholds; an error names the file and the field."""
    return load_yaml_config(path, MonitoringConfig, "monitoring config", empty_ok=True)


def day_metrics(counts: Counts) -> dict[str, float]:
    """The checked metrics of one run date: lead rows in, reject rate, MQL rate."""
    rows_in = counts["conservation"]["leads_in"]
    scored = counts.get("score", {}).get("leads_scored", 0)
    return {
        "input_volume": float(rows_in),
        "reject_rate": counts["conservation"]["rejected"] / rows_in if rows_in else 0.0,
        "mql_rate": counts.get("qualify", {}).get("new_mqls", 0) / scored if scored else 0.0,
    }


def counts_by_day(history: pd.DataFrame) -> dict[str, Counts]:
    """`run_counts` rows (run_date, stage, metric, value) as one counts dict per run date."""
    out: dict[str, Counts] = {}
    for row in history.itertuples(index=False):
        out.setdefault(str(row.run_date)[:10], {}).setdefault(row.stage, {})[row.metric] = int(row.value)
    return out


@dataclass(frozen=True)
class AnomalyCheck:
    metric: str
    value: float
    baseline: float | None
    tolerance: str
    fired: bool

    @property
    def message(self) -> str:
        if self.metric == "ranking_auc":
            return (f"ranking_auc {_fmt(self.metric, self.value)} fell below its baseline "
                    f"{_fmt(self.metric, self.baseline)} by more than {self.tolerance}")
        return (f"{self.metric} {_fmt(self.metric, self.value)} is outside its baseline "
                f"{_fmt(self.metric, self.baseline)} {self.tolerance}")


@dataclass(frozen=True)
class AnomalyReport:
    baseline_days: int           # days in the baseline window that had a succeeded run
    checked: bool                # False: not enough history, nothing was checked
    checks: tuple[AnomalyCheck, ...]
    model_checks: tuple[AnomalyCheck, ...] = ()   # the live model's ranking (tasks/reporting/ranking.py)

    @property
    def fired(self) -> list[AnomalyCheck]:
        return [c for c in (*self.checks, *self.model_checks) if c.fired]


def check_anomalies(counts: Counts, history: pd.DataFrame, config: MonitoringConfig) -> AnomalyReport:
    """Compare the run's metrics with the median of the trailing days in `history` (run_counts rows
    of the succeeded runs in the baseline window, the run date itself excluded)."""
    days = [day_metrics(c) for c in counts_by_day(history).values() if "conservation" in c]
    today = day_metrics(counts)
    checks = []
    for metric in METRICS:
        check = config.checks.get(metric)
        if check is None:
            continue
        base = median(d[metric] for d in days) if days else None
        if check.max_relative_change is not None:
            tolerance = f"± {check.max_relative_change:.0%}"
            limit = None if base is None else abs(base) * check.max_relative_change
        else:
            tolerance = f"± {check.max_absolute_change:.1%} points"
            limit = check.max_absolute_change
        fired = (len(days) >= config.min_baseline_days and base is not None and limit is not None
                 and abs(today[metric] - base) > limit)
        checks.append(AnomalyCheck(metric, today[metric], base, tolerance, fired))
    return AnomalyReport(len(days), len(days) >= config.min_baseline_days, tuple(checks))


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric == "ranking_auc":
        return f"{value:.3f}"
    return f"{value:.0f}" if metric == "input_volume" else f"{value:.1%}"


def stage_flow(counts: Counts) -> list[dict[str, object]]:
    """Lead rows in and out of every stage, with each stage's other counts as detail."""
    c = counts
    rows_in = c["conservation"]["leads_in"]
    valid = rows_in - c["validate"]["leads_quarantined"]
    clean = valid - c["fraud"]["leads_rejected"]
    extract = c["extract"]
    return [
        {"stage": "extract", "in": rows_in, "out": rows_in,
         "detail": f"activities {extract.get('activities_in', 0)}, outcomes {extract.get('outcomes_in', 0)}"},
        {"stage": "validate", "in": rows_in, "out": valid,
         "detail": f"quarantined: leads {c['validate']['leads_quarantined']}, activities "
                   f"{c['validate']['activities_quarantined']}, outcomes {c['validate']['outcomes_quarantined']}"},
        {"stage": "screen", "in": valid, "out": clean,
         "detail": f"rejected {c['fraud']['leads_rejected']}, bot activities {c['fraud']['activities_bot']}"},
        {"stage": "dedupe", "in": clean, "out": c["dedupe"]["leads_written"],
         "detail": f"merged {c['dedupe']['leads_merged']}, new people {c['dedupe']['new_leads']}"},
        {"stage": "score", "in": c["dedupe"]["leads_written"], "out": c["score"]["leads_scored"],
         "detail": "includes known leads with new activity or due for decay"},
        {"stage": "qualify", "in": c["score"]["leads_scored"], "out": c["qualify"]["new_mqls"],
         "detail": f"new MQLs; transitions {c['qualify']['transitions']}"},
        {"stage": "nurture", "in": c["score"]["leads_scored"], "out": c["nurture"]["enrolled"],
         "detail": f"enrolled; exited {c['nurture']['exited']}"},
    ]


def reject_reasons(counts: Counts) -> list[dict[str, object]]:
    """Rejected lead rows by reason (a row with two reasons counts under both), most frequent first."""
    reasons = [(k.split(":", 1)[1], v) for k, v in counts["fraud"].items() if k.startswith("rejected:")]
    return [{"reason": r, "leads": n} for r, n in sorted(reasons, key=lambda kv: (-kv[1], kv[0]))]


def _table(rows: list[dict[str, object]], columns: list[str]) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row[c]).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(run_date: date, run_id: str, counts: Counts, validation: pd.DataFrame,
                     enrollments: pd.DataFrame, anomalies: AnomalyReport, data_docs: str | None,
                     report_path: str | None, model_ranking: str | None = None) -> str:
    """The run summary artifact: stage counts, rejects, new MQLs, enrollments, validation, anomalies,
    and the live model's ranking (markdown from tasks/reporting/ranking.py)."""
    c = counts["conservation"]
    failed = validation[~validation["success"].astype(bool)] if len(validation) else validation
    parts = [
        f"# MQL run {run_date}\n",
        f"Run `{run_id}`: {c['leads_in']} lead rows in; written {c['written']}, merged {c['merged']}, "
        f"rejected {c['rejected']}, quarantined {c['quarantined']}; "
        f"**{counts['qualify']['new_mqls']} new MQLs**, {counts['nurture']['enrolled']} nurture enrollments.\n",
        "## Stages (lead rows)\n", _table(stage_flow(counts), ["stage", "in", "out", "detail"]),
        "## Rejects by reason\n", _table(reject_reasons(counts), ["reason", "leads"]),
        "## Lifecycle transitions\n",
        _table([{"to stage": k.split(":", 1)[1], "leads": v} for k, v in sorted(counts["qualify"].items())
                if k.startswith("to:")], ["to stage", "leads"]),
        "## Nurture enrollments by segment\n",
        _table(enrollments.to_dict("records"), ["segment", "enrolled", "open"]),
        "## Validation\n",
        f"{len(validation)} expectations evaluated, {len(failed)} failed.\n",
        _table([{"suite": r.suite, "expectation": r.expectation, "column": r.column_name or "",
                 "severity": r.severity,
                 "unexpected": "" if pd.isna(r.unexpected_count) else int(r.unexpected_count)}
                for r in failed.itertuples(index=False)], ["suite", "expectation", "column", "severity",
                                                           "unexpected"]) if len(failed) else "",
        (f"Data Docs: [{data_docs}]({data_docs})\n" if data_docs.startswith(("http://", "https://"))
         else f"Data Docs: `{data_docs}`\n") if data_docs else "Data Docs: not built for this run.\n",
        f"## Anomaly checks (baseline: median of {anomalies.baseline_days} trailing day(s))\n",
    ]
    if anomalies.checked:
        parts.append(_table([{"metric": a.metric, "value": _fmt(a.metric, a.value),
                              "baseline": _fmt(a.metric, a.baseline), "tolerance": a.tolerance,
                              "status": "**ANOMALY**" if a.fired else "ok"} for a in anomalies.checks],
                            ["metric", "value", "baseline", "tolerance", "status"]))
    else:
        parts.append("Not checked: too few trailing days with a succeeded run.\n")
    if model_ranking:
        parts.append(model_ranking)
    if report_path:
        shown = f"[{report_path}]({report_path})" if report_path.startswith(("http://", "https://")) \
            else f"`{report_path}`"
        parts.append(f"\nRun report: {shown}\n")
    return "\n".join(parts)


def anomaly_markdown(run_date: date, anomalies: AnomalyReport, failing: bool) -> str:
    """The warning artifact of a run whose anomaly checks fired."""
    lines = [f"# Anomaly warning: run date {run_date}\n"]
    lines += [f"- {a.message}" for a in anomalies.fired]
    lines.append("\nThe run's results are written. "
                 + ("The run is failed because MQL_FAIL_ON_ANOMALY is set." if failing
                    else "Set MQL_FAIL_ON_ANOMALY=true to fail runs like this one."))
    return "\n".join(lines) + "\n"


# --- the run report: HTML with charts as inline SVG (tasks/reporting/charts.py) ---


def funnel_steps(counts: Counts) -> list[tuple[str, int]]:
    """The run's funnel from extract to MQL."""
    flow = {row["stage"]: row for row in stage_flow(counts)}
    return [("lead rows in", flow["extract"]["out"]), ("passed validation", flow["validate"]["out"]),
            ("passed screening", flow["screen"]["out"]), ("people (after dedupe)", flow["dedupe"]["out"]),
            ("new MQLs", flow["qualify"]["out"])]


def render_report(run_date: date, run_id: str, counts: Counts, scores: pd.DataFrame, mqls_by_source: pd.DataFrame,
                  summary: str, mql_threshold: tuple[float, float] | None = None,
                  links: dict[str, str] | None = None, ranking: tuple[str, str] | None = None) -> str:
    """The run report: links (text -> address relative to the report), funnel, score distributions
    (with the MQL thresholds, total and fit, as rules), MQLs by lead source over the last 30 days,
    the live model's ranking chart ((title, SVG), when there is a matured cohort) and the summary
    rendered as HTML."""
    from markdown_it import MarkdownIt

    from tasks.reporting.charts import funnel_chart, histogram_chart, stacked_bars_chart, svg

    total, fit = mql_threshold if mql_threshold else (None, None)
    histograms = "".join(svg(histogram_chart(scores[col] if col in scores else pd.Series(dtype=float), title,
                                             threshold, label))
                         for col, title, threshold, label in (
                             ("fit_score", "fit score", fit, f"MQL needs fit ≥ {fit:g}" if fit is not None else ""),
                             ("engagement_score", "engagement score", None, ""),
                             ("total_score", "total score", total,
                              f"MQL threshold {total:g}" if total is not None else "")))
    mqls = (svg(stacked_bars_chart(mqls_by_source, "mqls", "lead_source", "new MQLs", "lead source"))
            if len(mqls_by_source) else "<p>No new MQLs in the window.</p>")
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(summary)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MQL run {run_date}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} svg{{margin:0 1em 1em 0}}
table{{border-collapse:collapse;margin-bottom:1em}} td,th{{border:1px solid #ccc;padding:.2em .5em}}</style>
</head><body>
<h1>MQL run {run_date}</h1><p>run id {html.escape(run_id)}</p>
<p>{" · ".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for text, href in (links or {}).items())}</p>
<h2>Funnel: extract to MQL</h2>{svg(funnel_chart(funnel_steps(counts)))}
<h2>Score distributions (leads scored on {run_date})</h2><div>{histograms}</div>
<h2>New MQLs by lead source, last 30 days</h2>{mqls}
{f"<h2>{html.escape(ranking[0])}</h2>{ranking[1]}" if ranking else ""}
<h2>Summary</h2><div class="summary">{body}</div>
</body></html>
"""


def report_file(reports_dir: Path, run_date: date, run_id: str) -> Path:
    """Where a run's report goes: <reports dir>/<run date>/<run id>.html (absolute)."""
    return Path(reports_dir).expanduser().resolve() / run_date.isoformat() / f"{run_id}.html"
