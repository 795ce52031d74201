"""How well a score ranks the leads that went on to convert: ROC AUC, lift by decile, calibration
per score band, an MQL threshold's volume and conversion; and the fit report as JSON and a
self-contained HTML page (Altair charts rendered to inline SVG, no network)."""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from tasks.reporting.charts import svg
from tasks.reporting.evaluate import roc_auc


def lift_by_decile(score: pd.Series, label: pd.Series) -> list[dict[str, Any]]:
    """Deciles of the score (1: highest), each with its leads, conversions, rate and lift."""
    order = score.rank(method="first", ascending=False)
    decile = np.ceil(order / len(score) * 10).clip(1, 10).astype(int)
    overall = float(label.mean()) if len(label) else 0.0
    rows = []
    for d, group in label.groupby(decile.to_numpy()):
        rate = float(group.mean())
        rows.append({"decile": int(d), "leads": int(len(group)), "converted": int(group.sum()),
                     "rate": round(rate, 4), "lift": round(rate / overall, 3) if overall else None})
    return rows


def calibration(score: pd.Series, label: pd.Series, fit_score: pd.Series, fit_label: pd.Series,
                bands: int = 8) -> list[dict[str, Any]]:
    """Predicted against observed conversion per score band. The prediction maps the score to a
    probability with a one-variable logistic fit on (`fit_score`, `fit_label`), the older window."""
    from sklearn.linear_model import LogisticRegression

    if fit_label.nunique() < 2 or score.nunique() < 2:
        return []
    platt = LogisticRegression().fit(fit_score.to_numpy().reshape(-1, 1), fit_label.to_numpy())
    predicted = platt.predict_proba(score.to_numpy().reshape(-1, 1))[:, 1]
    edges = np.unique(np.quantile(score, np.linspace(0, 1, bands + 1)))
    band = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, max(0, len(edges) - 2))
    rows = []
    for b in np.unique(band):
        mask = band == b
        rows.append({"band": f"{edges[b]:g}-{edges[min(b + 1, len(edges) - 1)]:g}", "leads": int(mask.sum()),
                     "predicted": round(float(predicted[mask].mean()), 4),
                     "observed": round(float(label.to_numpy()[mask].mean()), 4)})
    return rows


def threshold_figures(total: pd.Series, fit: pd.Series, label: pd.Series, weeks: float, entry_min_total: float | None,
                      entry_min_fit: float) -> dict[str, Any]:
    """Leads at or above an MQL entry rule on their snapshot: how many a week, how many converted
    (a model that enters MQL by its fit × engagement matrix alone has no total rule to measure)."""
    if entry_min_total is None:
        return {"entry_min_total": None, "entry_min_fit": entry_min_fit,
                "note": "the model enters MQL by its fit × engagement matrix only: no total threshold to measure"}
    mql = (total >= entry_min_total) & (fit >= entry_min_fit)
    positives = int(label.sum())
    return {"entry_min_total": entry_min_total, "entry_min_fit": entry_min_fit,
            "mqls": int(mql.sum()), "mqls_per_week": round(float(mql.sum()) / weeks, 1),
            "mql_share": round(float(mql.mean()), 4) if len(mql) else 0.0,
            "mql_conversion": round(float(label[mql].mean()), 4) if mql.any() else None,
            "non_mql_conversion": round(float(label[~mql].mean()), 4) if (~mql).any() else None,
            "share_of_conversions_captured": round(float(label[mql].sum()) / positives, 4) if positives else None}


def ranking_figures(score: pd.Series, label: pd.Series, older_score: pd.Series, older_label: pd.Series
                    ) -> dict[str, Any]:
    positive = label.astype(bool)
    return {"auc": round(roc_auc(score.astype(float).reset_index(drop=True), positive.reset_index(drop=True)), 4),
            "leads": int(len(label)), "converted": int(positive.sum()),
            "lift_by_decile": lift_by_decile(score.reset_index(drop=True), label.reset_index(drop=True)),
            "calibration": calibration(score, label, older_score, older_label)}


# --- the HTML page ---------------------------------------------------------------------------


def _charts(report: dict[str, Any]) -> list[tuple[str, str]]:
    import altair as alt

    models = report.get("models", {})
    lift = pd.DataFrame([{**row, "model": name} for name, figures in models.items()
                         for row in figures.get("lift_by_decile", [])])
    charts = []
    if not lift.empty:
        charts.append(("Conversion rate by score decile (1 = highest scores)", svg(
            alt.Chart(lift).mark_bar().encode(x=alt.X("decile:O"), xOffset="model:N", y=alt.Y("rate:Q"),
                                              color="model:N", tooltip=["model", "decile", "leads", "rate", "lift"])
            .properties(width=520, height=240))))
    calib = pd.DataFrame([{**row, "model": name} for name, figures in models.items()
                          for row in figures.get("calibration", [])])
    if not calib.empty:
        calib = calib.assign(position=calib.groupby("model").cumcount())
        points = alt.Chart(calib).mark_line(point=True).encode(
            x=alt.X("predicted:Q", title="predicted conversion"), y=alt.Y("observed:Q", title="observed conversion"),
            color="model:N", tooltip=["model", "band", "leads", "predicted", "observed"])
        top = float(max(calib["predicted"].max(), calib["observed"].max()))
        diagonal = alt.Chart(pd.DataFrame({"predicted": [0, top], "observed": [0, top]})).mark_line(
            strokeDash=[4, 4], color="gray").encode(x="predicted:Q", y="observed:Q")
        charts.append(("Calibration per score band (dashed: perfect)", svg((diagonal + points)
                                                                            .properties(width=520, height=240))))
    bins = pd.DataFrame([{"attribute": b["field"], "bin": b["bin"], "points": b["points"], "leads": b["leads"]}
                         for b in report.get("points_per_bin", [])])
    if not bins.empty:
        charts.append(("Points per bin (fitted model)", svg(
            alt.Chart(bins).mark_bar().encode(y=alt.Y("bin:N", sort=None, title=None), x="points:Q",
                                              tooltip=["attribute", "bin", "points", "leads"])
            .properties(width=360, height=alt.Step(12)).facet(row=alt.Row("attribute:N", title=None))
            .resolve_scale(y="independent"))))
    return charts


def report_html(report: dict[str, Any]) -> str:
    """A self-contained page: the figures as tables, the charts as inline SVG."""
    esc = html.escape
    models = report.get("models", {})
    rows = "".join(f"<tr><td>{esc(name)}</td><td>{figures.get('auc')}</td><td>{figures.get('leads')}</td>"
                   f"<td>{figures.get('converted')}</td></tr>" for name, figures in models.items())
    parts = [f"<h1>{esc(report.get('title', 'Scoring model report'))}</h1>",
             f"<p>{esc(report.get('summary', ''))}</p>",
             "<h2>Ranking on the validation window</h2><table><tr><th>model</th><th>ROC AUC</th><th>leads</th>"
             f"<th>converted</th></tr>{rows}</table>"]
    for key, heading in (("threshold", "MQL threshold"), ("target_rate", "Target MQL conversion rate")):
        if report.get(key):
            parts.append(f"<h2>{heading}</h2><table>" + "".join(
                f"<tr><td>{esc(str(k))}</td><td>{esc(str(v))}</td></tr>" for k, v in report[key].items()) + "</table>")
    for title, svg in _charts(report):
        parts.append(f"<h2>{esc(title)}</h2><div>{svg}</div>")
    parts.append("<h2>All figures</h2><pre>" + esc(json.dumps(report, indent=1, default=str)) + "</pre>")
    style = ("body{font-family:sans-serif;max-width:980px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}pre{font-size:11px;overflow:auto}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(report.get('title', 'report'))}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def finite(value: Any) -> Any:
    """JSON-safe: NaN and infinities as None, recursively."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
