"""`mql model fit` and `mql model evaluate`: read the warehouse's history, call the fitting and
quality functions, write the model file and the report. No scoring logic lives here."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from threadpoolctl import threadpool_limits

from flows.settings import CONFIG_DIR
from tasks.errors import MqlError
from tasks.reporting.model_quality import finite, ranking_figures, report_html, threshold_figures
from tasks.scoring import fitting
from tasks.scoring.model import ScoringModel, load_model
from tasks.warehouse.connection import open_warehouse, query

FIT_CONFIG_PATH = CONFIG_DIR / "model_fit.yaml"


def read_history(url: str, schema: str, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Lead states, countable activities and sales outcomes loaded by `as_of`."""
    engine = open_warehouse(url, schema, writing=False)
    try:
        with engine.connect() as conn:
            return tuple(query(conn, name, {"as_of": as_of})  # type: ignore[return-value]
                         for name in ("model_history", "model_activities", "model_outcomes"))
    finally:
        engine.dispose()


def _baselines(frame: pd.DataFrame, engagement: pd.DataFrame, train: np.ndarray, validation: np.ndarray,
               label: np.ndarray, config: fitting.FitConfig) -> dict[str, pd.Series]:
    """Validation scores of a plain logistic regression (one-hot categories, log numbers, raw
    counts) and of gradient boosting (the black-box ceiling), on the same features."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from scipy import sparse

    columns, categorical = [], []
    for name in frame.columns:
        kind = fitting.kind_of(frame[name].iloc[np.flatnonzero(train)], config.missing_values)
        present = fitting.present_values(frame[name], config.missing_values)
        if kind == "numeric":
            numbers = pd.to_numeric(frame[name].where(present), errors="coerce")
            columns.append(pd.DataFrame({name: np.log1p(numbers.clip(lower=0)).fillna(0.0),
                                         name + ":missing": numbers.isna().astype(float)}))
        elif kind == "categorical":
            text = fitting.category_text(frame[name]).where(present, "(missing)")
            top = text[train].value_counts().head(50).index
            codes = pd.Categorical(text.where(text.isin(top), "(other)"))
            columns.append(pd.DataFrame({name: codes.codes.astype(float)}))
            categorical.append(name)
    numeric = pd.concat([*columns, engagement], axis=1).reset_index(drop=True)
    dense = [c for c in numeric.columns if c not in categorical]
    scaled = StandardScaler().fit(numeric.loc[train, dense]).transform(numeric[dense])
    onehot = OneHotEncoder(handle_unknown="ignore").fit(numeric.loc[train, categorical]) if categorical else None
    matrix = sparse.hstack([sparse.csr_matrix(scaled)]
                           + ([onehot.transform(numeric[categorical])] if onehot else []), format="csr")
    plain = LogisticRegression(max_iter=2000).fit(matrix[train], label[train])  # sparse: memory follows the rows
    mask = np.array([c in categorical for c in numeric.columns])
    boosted = HistGradientBoostingClassifier(categorical_features=mask if mask.any() else None, random_state=0)
    rows = np.flatnonzero(train)
    if len(rows) > config.ceiling_max_leads:  # the ceiling is a yardstick: a large sample draws it as well
        rows = np.sort(np.random.default_rng(0).choice(rows, config.ceiling_max_leads, replace=False))
    with threadpool_limits(1):  # OpenMP threads crawl on a busy machine; one is steady
        boosted.fit(numeric.iloc[rows], label[rows])
    return {"plain_logistic_regression": pd.Series(plain.predict_proba(matrix[validation])[:, 1]),
            "gradient_boosting_ceiling": pd.Series(boosted.predict_proba(numeric[validation])[:, 1])}


def _points_per_bin(card: fitting.Scorecard) -> list[dict[str, Any]]:
    rows = []
    for binning in card.binnings:
        if binning.kind == "numeric":
            edges = ["-inf", *(f"{e:g}" for e in binning.edges), "inf"]
            names = [f"[{edges[i]}, {edges[i + 1]})" for i in range(binning.bins)]
        else:
            names = [", ".join(sorted("(other)" if c == fitting.OTHER else c for c in g))[:60] for g in binning.groups]
        for name, points, leads in zip([*names, "(missing)"], card.bin_points[binning.field],
                                       card.support[binning.field]):
            rows.append({"field": binning.field, "bin": name, "points": points, "leads": leads})
    return rows


def fit_model(url: str, schema: str, live_path: Path, target: str, horizon_days: int, as_of: date, out: Path,
              mql_per_week: float | None, config_path: Path = FIT_CONFIG_PATH, target_rate: float | None = None
              ) -> dict[str, Any]:
    """Fit a model to the warehouse's outcomes, write it to `out` (never the live model file) with
    its report beside it (`<out>.report.json`, `<out>.report.html`); the report's figures."""
    check_goal(mql_per_week, target_rate)
    if target not in fitting.TARGETS:
        raise MqlError(f"--target {target!r}: expected one of {', '.join(fitting.TARGETS)}")
    if Path(out).resolve() == Path(live_path).resolve():
        raise MqlError(f"--out {out}: that is the live model file; write the fitted model elsewhere and promote it "
                       "by a reviewed change of the model path")
    history, activities, outcomes = read_history(url, schema, as_of)
    return fit_from_history(history, activities, outcomes, live_path, target, horizon_days, as_of, out, mql_per_week,
                            config_path, target_rate=target_rate)


def check_goal(mql_per_week: float | None, target_rate: float | None) -> None:
    """One goal for the MQL threshold: sales capacity or a conversion rate, not both."""
    if mql_per_week is not None and target_rate is not None:
        raise MqlError("--mql-per-week and --target-rate both given: the MQL threshold follows one goal, choose one")
    if target_rate is not None and not 0 < target_rate <= 1:
        raise MqlError(f"--target-rate {target_rate:g}: expected a conversion rate above 0 and at most 1 (0.25 is 25%)")


def _entry_total(total: pd.Series, label: pd.Series, dates: pd.Series, mql_per_week: float | None,
                 target_rate: float | None, target: str, config: fitting.FitConfig, config_path: Path
                 ) -> tuple[float, str, dict[str, Any] | None]:
    """The MQL entry total on the validation window for the stated goal, the goal in words, and
    (for --target-rate) the rate asked for and reached."""
    if target_rate is None:
        goal = (f"{mql_per_week:g} MQLs a week" if mql_per_week else
                f"top {config.default_mql_share:.0%} of leads ({config_path.name}: default_mql_share)")
        return fitting.choose_threshold(total, dates, mql_per_week, config.default_mql_share), goal, None
    found = fitting.threshold_for_rate(total, label, target_rate, config.target_rate_min_mqls)
    if found.threshold is None:
        raise MqlError(f"--target-rate {target_rate:g}: no MQL threshold reaches it on the validation window; the best "
                       f"reachable MQL-to-'{target}' rate is {found.best_rate:.4f} (with at least "
                       f"{config.target_rate_min_mqls} MQLs, {config_path.name}: target_rate_min_mqls)")
    return found.threshold, f"MQL-to-'{target}' conversion of at least {target_rate:g}", {
        "wanted": target_rate, "achieved": round(found.rate or 0.0, 4), "entry_min_total": found.threshold,
        "mqls": found.mqls, "mqls_per_week": round(found.mqls / fitting.weeks(dates), 1),
        "best_reachable": round(found.best_rate, 4)}


def fit_from_history(history: pd.DataFrame, activities: pd.DataFrame, outcomes: pd.DataFrame, live_path: Path,
                     target: str, horizon_days: int, as_of: date, out: Path, mql_per_week: float | None,
                     config_path: Path = FIT_CONFIG_PATH, baselines: bool = True, target_rate: float | None = None
                     ) -> dict[str, Any]:
    """`fit_model` on history already read (the rows of the model_history, model_activities and
    model_outcomes queries); `baselines=False` leaves out the comparison models."""
    check_goal(mql_per_week, target_rate)
    started = time.perf_counter()
    config = fitting.load_fit_config(config_path)
    live = load_model(live_path)
    training = fitting.training_set(history, activities, outcomes, target, horizon_days, as_of, config)
    train, validation = fitting.time_split(training.snapshots, config.validation_share)
    label = training.snapshots["label"].fillna(0).to_numpy(dtype=int)
    positives = int(label[train.to_numpy()].sum())
    if positives < config.min_positives or not validation.any() or label[validation.to_numpy()].sum() == 0:
        raise MqlError(f"too little history to fit: {positives} matured '{target}' outcome(s) in the training window "
                       f"(snapshots {config.snapshot_days} days after arrival, horizon {horizon_days} days, as of "
                       f"{as_of}); need at least {config.min_positives} ({config_path.name}: min_positives) and some "
                       "in the newest window")
    frame = fitting.attribute_frame(training.snapshots, live, config)
    engagement = fitting.decayed_counts(training, live.engagement)
    t, v = train.to_numpy(), validation.to_numpy()
    card = fitting.fit_scorecard(frame[t].reset_index(drop=True), engagement[t].reset_index(drop=True), label[t],
                                 config)
    version = f"fitted-{target}-{horizon_days}d-{as_of.isoformat()}"
    draft = ScoringModel.model_validate(fitting.scorecard_model(
        card, live, version, live.engagement.half_life_days, 0.0, {}, config.missing_values))
    scored = fitting.snapshot_scores(training, draft)
    dates = scored.loc[v, "snapshot_date"]
    entry, goal, rate = _entry_total(scored.loc[v, "total_score"], scored.loc[v, "label"], dates, mql_per_week,
                                     target_rate, target, config, config_path)
    document = fitting.scorecard_model(card, live, version, live.engagement.half_life_days, entry,
                                       fitting.grade_cuts(scored.loc[t, "fit_score"], config.grade_shares),
                                       config.missing_values)
    fitted = ScoringModel.model_validate(document)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Fitted by `mql model fit --target {target} --horizon-days {horizon_days} --as-of {as_of}` on "
              f"{int(t.sum())} training leads ({positives} converted).\n# Every {config.points_to_double_odds:g} "
              f"points double a lead's odds of '{target}' within {horizon_days} days; a total of "
              f"{card.even_odds_score:.0f} is even odds. Review, then promote by changing the model path.\n")
    out.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120),
                   encoding="utf-8")
    weeks = fitting.weeks(dates)
    models = {"current": live, "fitted": load_model(out)}
    report = evaluation_report(training, t, v, models, weeks)
    for name, score in (_baselines(frame, engagement, t, v, label, config) if baselines else {}).items():
        report["models"][name] = ranking_figures(score, pd.Series(label[v]), score, pd.Series(label[v]))
        report["models"][name]["calibration"] = []  # probabilities of their own; not a points model
        report["models"][name]["training_leads"] = min(int(t.sum()), config.ceiling_max_leads) \
            if name == "gradient_boosting_ceiling" else int(t.sum())
    report.update({
        "title": f"Fitted scoring model {version}",
        "command": (f"mql model fit --target {target} --horizon-days {horizon_days} --as-of {as_of} --out {out}"
                    + (f" --mql-per-week {mql_per_week:g}" if mql_per_week else "")
                    + (f" --target-rate {target_rate:g}" if target_rate is not None else "")),
        "summary": (f"Trained on {int(t.sum())} snapshots ({positives} converted) before "
                    f"{dates.min().date() if len(dates) else '-'}; validated on {int(v.sum())} newer ones "
                    f"({int(label[v].sum())} converted)."),
        "model_file": str(out), "version": version, "target": target, "horizon_days": horizon_days,
        "as_of": as_of.isoformat(), "snapshot_days": config.snapshot_days,
        "training": {"leads": int(t.sum()), "converted": positives,
                     "first_snapshot": str(training.snapshots.loc[train, "snapshot_date"].min().date())},
        "validation": {"leads": int(v.sum()), "converted": int(label[v].sum()),
                       "first_snapshot": str(dates.min().date()), "last_snapshot": str(dates.max().date())},
        "not_matured": int(training.snapshots["label"].isna().sum()),
        "points_to_double_odds": config.points_to_double_odds, "even_odds_total": round(card.even_odds_score, 1),
        "attributes": card.attributes,
        "threshold_goal": goal,
        "threshold": report["models"]["fitted"]["threshold"],
        **({"target_rate": rate} if rate else {}),
        "points_per_bin": _points_per_bin(card),
        "engagement_points": {a: {"points": p, "cap": card.activity_caps[a]} for a, p in card.activity_points.items()},
        "seconds": round(time.perf_counter() - started, 1),
    })
    write_report(report, out.parent / (out.stem + ".report"))
    return report


def evaluation_report(training: fitting.TrainingSet, older: np.ndarray, newer: np.ndarray,
                      models: dict[str, ScoringModel], weeks: float) -> dict[str, Any]:
    """Each model's ranking of the `newer` snapshots, calibrated on the `older` ones."""
    label = training.snapshots["label"].fillna(0).astype(int)
    figures = {}
    for name, model in models.items():
        scored = fitting.snapshot_scores(training, model)
        total = scored["total_score"]
        figures[name] = {"version": model.version,
                         **ranking_figures(total[newer], label[newer], total[older], label[older]),
                         "threshold": threshold_figures(total[newer], scored.loc[newer, "fit_score"], label[newer],
                                                        weeks, model.mql.entry_min_total, model.mql.entry_min_fit)}
    return {"models": figures}


def write_report(report: dict[str, Any], stem: Path) -> None:
    """`<stem>.json` and `<stem>.html`."""
    safe = finite(report)
    Path(f"{stem}.json").write_text(json.dumps(safe, indent=2, default=str) + "\n", encoding="utf-8")
    Path(f"{stem}.html").write_text(report_html(safe), encoding="utf-8")


def evaluate_model(url: str, schema: str, model_path: Path, live_path: Path, target: str, horizon_days: int,
                   as_of: date, start: date | None, end: date | None, out: Path | None,
                   config_path: Path = FIT_CONFIG_PATH) -> dict[str, Any]:
    """A model's ranking quality on the warehouse's own matured snapshots (snapshot dates from
    `start` to `end`), side by side with the live model."""
    config = fitting.load_fit_config(config_path)
    model, live = load_model(model_path), load_model(live_path)
    history, activities, outcomes = read_history(url, schema, as_of)
    training = fitting.training_set(history, activities, outcomes, target, horizon_days, as_of, config)
    snapshots = training.snapshots
    window = snapshots["label"].notna()
    if start:
        window &= snapshots["snapshot_date"] >= pd.Timestamp(start)
    if end:
        window &= snapshots["snapshot_date"] <= pd.Timestamp(end)
    if not window.any() or snapshots.loc[window, "label"].sum() == 0:
        raise MqlError(f"no matured '{target}' outcomes to evaluate on: snapshots from {start or 'the first'} to "
                       f"{end or 'the last'} date with a {horizon_days}-day horizon passed by {as_of}")
    mask = window.to_numpy()
    dates = snapshots.loc[mask, "snapshot_date"]
    report = evaluation_report(training, mask, mask, {"model": model, "live": live}, fitting.weeks(dates))
    report.update({"title": f"Scoring model {model.version} on the warehouse's history", "model_file": str(model_path),
                   "target": target, "horizon_days": horizon_days, "as_of": as_of.isoformat(),
                   "window": {"first_snapshot": str(dates.min().date()), "last_snapshot": str(dates.max().date())},
                   "summary": "Calibration is fitted and shown on the same window (in-sample)."})
    if out is not None:
        write_report(report, out)
    return report
