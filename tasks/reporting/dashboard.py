"""The dashboard across run dates: one self-contained HTML page (charts as inline SVG rendered by
Vega-Lite through Altair and vl-convert, no script and nothing fetched), rebuilt from the
warehouse's audit tables and funnel views. Plain functions over the frames the flow reads."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from tasks.reporting.charts import stacked_bars_chart, svg
from tasks.reporting.monitoring import (Counts, MonitoringConfig, check_anomalies, counts_by_day, day_metrics,
                                        reject_reasons)
from tasks.reporting.ranking import ranking_auc, ranking_chart, ranking_frame  # noqa: F401 (the dashboard's)

DISPOSITIONS = ("written", "merged", "rejected", "quarantined")
DASHBOARD_FILE = "dashboard.html"


def latest_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Each run date's latest succeeded run (run_date as text, run_id, report_path, data_docs_path)."""
    if runs.empty:
        return runs.assign(run_date=pd.Series(dtype=str))
    runs = runs.assign(run_date=runs["run_date"].astype(str).str[:10])
    return runs.sort_values(["run_date", "started_at"]).groupby("run_date", as_index=False).last()


def daily_frame(runs: pd.DataFrame, counts: pd.DataFrame, config: MonitoringConfig) -> pd.DataFrame:
    """One row per run date: rows in and their dispositions, new MQLs, MQL and reject rates, and the
    anomaly checks that fired that day (against the days before it, as the run itself checked)."""
    by_run: dict[str, Counts] = {}
    for row in counts.itertuples(index=False):
        by_run.setdefault(str(row.run_id), {}).setdefault(row.stage, {})[row.metric] = int(row.value)
    history = counts.merge(runs[["run_id", "run_date"]], on="run_id", suffixes=("_counted", ""))
    rows = []
    for run in runs.itertuples(index=False):
        day = by_run.get(str(run.run_id), {})
        if "conservation" not in day:
            continue
        since = (pd.Timestamp(run.run_date) - pd.Timedelta(days=config.baseline_days)).strftime("%Y-%m-%d")
        window = history[(history["run_date"] >= since) & (history["run_date"] < run.run_date)]
        fired = check_anomalies(day, window[["run_date", "stage", "metric", "value"]], config).fired
        metrics = day_metrics(day)
        rows.append({"run_date": run.run_date, "leads_in": day["conservation"]["leads_in"],
                     **{d: day["conservation"].get(d, 0) for d in DISPOSITIONS},
                     "new_mqls": day.get("qualify", {}).get("new_mqls", 0),
                     "mql_rate": metrics["mql_rate"], "reject_rate": metrics["reject_rate"],
                     "anomalies": "; ".join(a.message for a in fired),
                     "rejects": reject_reasons({"fraud": day.get("fraud", {})})})
    return pd.DataFrame(rows, columns=["run_date", "leads_in", *DISPOSITIONS, "new_mqls", "mql_rate", "reject_rate",
                                       "anomalies", "rejects"])


def _dates(title: str = "run date"):
    import altair as alt

    return alt.X("run_date:O", title=title, axis=alt.Axis(labelAngle=-45))


def charts(daily: pd.DataFrame, by_source: pd.DataFrame, by_cohort: pd.DataFrame,
           ranking: pd.DataFrame) -> list[tuple[str, str]]:
    """(title, SVG) of every chart: each with titled axes, units and counts."""
    import altair as alt

    out: list[tuple[str, str]] = []
    width = max(360, 28 * len(daily))
    dispositions = daily.melt(id_vars=["run_date"], value_vars=list(DISPOSITIONS), var_name="disposition",
                              value_name="lead rows")
    out.append(("Lead rows in, by what became of them", svg(
        stacked_bars_chart(dispositions, "lead rows", "disposition", "lead rows", "disposition"))))
    rejects = pd.DataFrame([{"run_date": r.run_date, "reason": x["reason"], "lead rows": x["leads"]}
                            for r in daily.itertuples(index=False) for x in r.rejects],
                           columns=["run_date", "reason", "lead rows"])
    if len(rejects):
        out.append(("Rejected lead rows by reason", svg(
            stacked_bars_chart(rejects, "lead rows", "reason", "rejected lead rows", "reason"))))
    base = alt.Chart(daily).encode(x=_dates())
    out.append(("New MQLs per run date", svg(
        (base.mark_bar().encode(y=alt.Y("new_mqls:Q", title="new MQLs"))
         + base.mark_text(dy=-6).encode(y=alt.Y("new_mqls:Q"), text=alt.Text("new_mqls:Q"))).properties(width=width, height=200))))
    anomalous = daily[daily["anomalies"] != ""]
    rate = base.mark_line(point=True).encode(
        y=alt.Y("mql_rate:Q", title="MQL rate (new MQLs / leads scored)", axis=alt.Axis(format="%")))
    marks = alt.Chart(anomalous).mark_point(shape="triangle-up", size=160, color="#d62728", filled=True).encode(
        x=_dates(), y=alt.Y("mql_rate:Q"), tooltip=[alt.Tooltip("anomalies:N")])
    out.append(("MQL rate per run date (red: an anomaly check fired)",
                svg((rate + marks).properties(width=width, height=200))))
    if len(by_source):
        out.append(("Conversion by lead source (leads, MQL rate)", svg(
            (alt.Chart(by_source).mark_bar().encode(
                y=alt.Y("value:N", title="lead source", sort="-x"),
                x=alt.X("mql_rate:Q", title="MQL rate (leads that became MQLs)", axis=alt.Axis(format="%")))
             + alt.Chart(by_source).mark_text(align="left", dx=4).encode(
                y=alt.Y("value:N", sort="-x"), x=alt.X("mql_rate:Q"), text=alt.Text("label:N"))
             ).properties(width=420, height=max(120, 22 * len(by_source))))))
    if len(by_cohort):
        stages = by_cohort.melt(id_vars=["value"], value_vars=["leads", "mqls", "sales_accepted", "won"],
                                var_name="reached", value_name="leads reached")
        out.append(("Conversion by cohort (leads by first run date, and how far they got)", svg(
            alt.Chart(stages).mark_line(point=True).encode(
                x=alt.X("value:O", title="cohort (first run date)", axis=alt.Axis(labelAngle=-45)),
                y=alt.Y("leads reached:Q", title="leads"),
                color=alt.Color("reached:N", sort=["leads", "mqls", "sales_accepted", "won"], title="reached")
            ).properties(width=width, height=220))))
    if (ranked := ranking_chart(ranking)) is not None:
        out.append((ranked[0], svg(ranked[1])))
    return out


def _link(path: object, folder: Path, label: str) -> str:
    """A link relative to the dashboard's folder (it resolves on disk and when the folder is served)."""
    if not isinstance(path, str) or not path:
        return ""
    target = os.path.relpath(Path(path), folder)
    return f'<a href="{html.escape(Path(target).as_posix())}">{html.escape(label)}</a>'


def render_dashboard(daily: pd.DataFrame, runs: pd.DataFrame, by_source: pd.DataFrame, by_cohort: pd.DataFrame,
                     ranking: pd.DataFrame, folder: Path, built: str) -> str:
    """The dashboard page: every chart, then per run date its counts, anomalies and links."""
    sections = "".join(f"<section><h2>{html.escape(title)}</h2>{svg}</section>"
                       for title, svg in charts(daily, by_source, by_cohort, ranking))
    links = runs.set_index("run_date")
    rows = []
    for r in daily.itertuples(index=False):
        run = links.loc[r.run_date]
        rows.append(f"<tr><td>{r.run_date}</td><td>{r.leads_in}</td><td>{r.written}</td><td>{r.merged}</td>"
                    f"<td>{r.rejected}</td><td>{r.quarantined}</td><td>{r.new_mqls}</td><td>{r.mql_rate:.1%}</td>"
                    f"<td>{html.escape(r.anomalies) or 'none'}</td>"
                    f"<td>{_link(run['report_path'], folder, 'report')}</td>"
                    f"<td>{_link(run['data_docs_path'], folder, 'Data Docs')}</td></tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MQL dashboard</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:right}} section{{margin-bottom:2em}}</style></head><body>
<h1>MQL dashboard</h1><p>{len(daily)} run date(s); built {html.escape(built)}. Each run date counts its latest
succeeded run.</p>
{sections or "<p>No succeeded run yet.</p>"}
<h2>Run dates</h2>
<table><tr><th>run date</th><th>lead rows in</th><th>written</th><th>merged</th><th>rejected</th>
<th>quarantined</th><th>new MQLs</th><th>MQL rate</th><th>anomalies</th><th>report</th><th>Data Docs</th></tr>
{''.join(rows)}</table>
</body></html>
"""


def funnel_of(funnel: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """The rows of one dimension of `dashboard_funnel` (funnel_metrics' counts of the two dimensions
    the dashboard draws, read in one query)."""
    return funnel[funnel["dimension"] == dimension].drop(columns="dimension").reset_index(drop=True)


def source_frame(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel rows of one dimension, with a `label` (leads and MQL rate) for the bars."""
    funnel = funnel.assign(mql_rate=pd.to_numeric(funnel["mql_rate"], errors="coerce").fillna(0.0))
    return funnel.assign(label=[f"{int(m)} of {int(n)} leads ({r:.1%})"
                                for m, n, r in zip(funnel["mqls"], funnel["leads"], funnel["mql_rate"])])
