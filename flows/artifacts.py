"""Run-level monitoring wired into the flows: the `monitor` stage (summary, anomaly checks, HTML
report) and the Prefect artifacts it publishes, and the backfill's progress artifact."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import (create_markdown_artifact, create_progress_artifact, create_table_artifact,
                               update_progress_artifact)
from sqlalchemy.engine import Engine

from flows.settings import Settings
from flows.stages import stage
from tasks.reporting import dashboard, monitoring, ranking
from tasks.warehouse.connection import execute, query

REPORT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class RunMonitoring:
    summary: str
    report_path: str
    anomalies: monitoring.AnomalyReport


@stage("monitor")
def monitor_stage(engine: Engine, run_id: str, run_date: date, counts: monitoring.Counts,
                  settings: Settings, mql_threshold: tuple[float, float] | None = None) -> RunMonitoring:
    """Check the run against its trailing baseline, write its report, publish its artifacts."""
    config = monitoring.load_monitoring_config(settings.monitoring_path)
    with engine.connect() as conn:
        history = query(conn, "monitoring_history", {
            "since": run_date - timedelta(days=config.baseline_days), "run_date": run_date})
        validation = query(conn, "monitoring_validation", {"run_id": run_id})
        enrollments = query(conn, "monitoring_enrollments", {"run_date": run_date})
        scores = query(conn, "monitoring_scores", {"run_date": run_date})
        mqls = query(conn, "monitoring_mqls_by_source", {
            "since": run_date - timedelta(days=REPORT_WINDOW_DAYS), "run_date": run_date})
        run = query(conn, "monitoring_run", {"run_id": run_id})
        cohorts = ranking.read_cohorts(conn, run_date, config.model_ranking)
    mqls["run_date"] = mqls["run_date"].astype(str).str[:10]
    watch = ranking.watch_ranking(*cohorts, config.model_ranking)
    anomalies = replace(monitoring.check_anomalies(counts, history, config),
                        model_checks=(watch.check,) if watch.check else ())
    path = monitoring.report_file(settings.reports_location, run_date, run_id)
    data_docs = run["data_docs_path"].iloc[0] if len(run) else None
    summary = monitoring.summary_markdown(run_date, run_id, counts, validation, enrollments, anomalies,
                                          data_docs and (served_url(data_docs, settings) or data_docs),
                                          served_url(path, settings) or str(path), ranking.ranking_markdown(watch))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(monitoring.render_report(run_date, run_id, counts, scores, mqls, summary,
                                             mql_threshold, report_links(path, data_docs, settings),
                                             ranking.ranking_report_chart(watch)), encoding="utf-8")
    with engine.begin() as conn:
        execute(conn, "set_report_path", {"run_id": run_id, "report_path": str(path)})

    copy_pages(settings, [path, *(sorted(Path(data_docs).parent.glob("*.html")) if data_docs else [])])

    create_markdown_artifact(summary, key="mql-run-summary", description=f"MQL run {run_date}: summary")
    publish_link("mql-run-report", path, settings, f"MQL run {run_date}: report")
    if data_docs:
        publish_link("mql-run-data-docs", data_docs, settings, f"MQL run {run_date}: Data Docs")
    create_table_artifact(monitoring.stage_flow(counts), key="mql-run-stages",
                          description=f"MQL run {run_date}: lead rows in and out of every stage")
    create_table_artifact([{"stage": s, "metric": m, "value": v} for s, metrics in counts.items()
                           for m, v in metrics.items()], key="mql-run-counts",
                          description=f"MQL run {run_date}: every count in run_counts")
    create_table_artifact(monitoring.reject_reasons(counts) or [{"reason": "(none)", "leads": 0}],
                          key="mql-run-rejects", description=f"MQL run {run_date}: rejected lead rows by reason")
    if len(validation):
        create_table_artifact(validation.astype(object).where(validation.notna(), None).to_dict("records"),
                              key="mql-run-validation", description=f"MQL run {run_date}: validation results")
    if anomalies.fired:
        text = monitoring.anomaly_markdown(run_date, anomalies, settings.fail_on_anomaly)
        create_markdown_artifact(text, key="mql-run-anomaly", description=f"MQL run {run_date}: anomaly warning")
        reason = "; ".join(a.message for a in anomalies.fired)
        get_run_logger().warning("run date %s: %s", run_date, reason)
        emit_night_event("anomaly", str(run_date), "monitor", reason)
    return RunMonitoring(summary=summary, report_path=str(path), anomalies=anomalies)


def publish_dashboard(engine: Engine, settings: Settings, through: date) -> Path:
    """Rebuild the dashboard across run dates (`<reports location>/dashboard.html`) from the warehouse:
    the `monitoring.yaml` window of days up to `through`; a link artifact when the location is served."""
    from datetime import datetime, timezone

    config = monitoring.load_monitoring_config(settings.monitoring_path)
    since = through - timedelta(days=config.dashboard_days - 1)
    baseline_since = since - timedelta(days=config.baseline_days)  # the first days' anomaly checks
    with engine.connect() as conn:
        runs = dashboard.latest_runs(query(conn, "dashboard_runs", {"since": baseline_since}))
        counts = query(conn, "dashboard_counts", {"since": baseline_since})
        funnel = query(conn, "dashboard_funnel")
        scored = query(conn, "dashboard_ranking", {"since": since, "through": through})
    by_source = dashboard.source_frame(dashboard.funnel_of(funnel, "lead_source"))
    by_cohort = dashboard.funnel_of(funnel, "day")
    daily = dashboard.daily_frame(runs, counts, config)
    daily = daily[daily["run_date"] >= since.isoformat()].reset_index(drop=True)
    by_cohort = by_cohort[by_cohort["value"].astype(str).str[:10] >= since.isoformat()]
    folder = settings.reports_location
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / dashboard.DASHBOARD_FILE
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = dashboard.render_dashboard(daily, runs, by_source, by_cohort, scored, folder, built)
    path.write_text(page, encoding="utf-8")
    copy_pages(settings, [path])
    publish_link("mql-dashboard", path, settings, f"MQL dashboard, run dates up to {through}")
    return path


def run_logger() -> Any:
    """The flow run's logger; outside a flow run (the `mql` command after its runs), the `mql` logger."""
    import logging

    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("mql")


def copy_pages(settings: Settings, pages: list[Path]) -> None:
    """Copy pages written under the reports location to the remote reports location (MQL_REPORTS_DIR
    as an fsspec URL), each at the same path under it, so that its relative links work there too
    (pages elsewhere, such as Data Docs in their own MQL_DATA_DOCS_DIR, stay where they are). A copy
    that fails is a warning: the run's results are written and its pages are kept locally."""
    from tasks.errors import MqlError
    from tasks.intake.location import open_location, write_file

    if (remote := settings.reports_copy_to) is None:
        return
    folder = settings.reports_location
    try:
        location = open_location(settings.storage(remote), "reports location")
        for page in (Path(p).resolve() for p in pages):
            if page.is_relative_to(folder):
                write_file(location, page.relative_to(folder).as_posix(), page.read_bytes())
    except MqlError as exc:
        run_logger().warning("pages not copied to the reports location: %s", exc)


def report_links(report: Path, data_docs: str | None, settings: Settings) -> dict[str, str]:
    """The run report's links, relative to it (they work on disk and where the folder is served)."""
    import os

    links = {"dashboard (all run dates)": settings.reports_location / dashboard.DASHBOARD_FILE}
    if data_docs:
        links["Data Docs"] = Path(data_docs)
    return {text: Path(os.path.relpath(target, report.parent)).as_posix() for text, target in links.items()}


def served_url(path: Path | str, settings: Settings) -> str | None:
    """The http(s) address of a file under the reports location where MQL_REPORTS_URL serves it."""
    if not settings.reports_url:
        return None
    try:
        relative = Path(path).resolve().relative_to(settings.reports_location)
    except ValueError:
        return None
    return settings.reports_url.rstrip("/") + "/" + relative.as_posix()


def publish_link(key: str, path: Path | str, settings: Settings, text: str) -> None:
    """A link artifact to a published file, when the reports location is served over http(s)."""
    from prefect.artifacts import create_link_artifact

    url = served_url(path, settings)
    if url:
        create_link_artifact(url, link_text=text, key=key, description=text)


def emit_night_event(kind: str, night: str, stage: str, reason: str) -> None:
    """The Prefect event `mql.night.<kind>` (failed, anomaly) of a run date (or a backfill's range),
    naming the stage and the one-line reason; deployments/automations.yaml alerts on it."""
    from prefect.events import emit_event

    emit_event(event=f"mql.night.{kind}",
               resource={"prefect.resource.id": f"mql.night.{night}", "prefect.resource.name": f"nightly {night}"},
               payload={"run_date": night, "stage": stage, "reason": reason})


def publish_dry_run(rows: list[dict[str, object]]) -> None:
    """The dry run's answer: per date, the rows each extract file holds, or why the date would fail."""
    create_table_artifact(rows, key="mql-backfill-dry-run", description="backfill dry run: nothing was written")


def publish_backfill_results(rows: list[dict[str, object]]) -> None:
    """The backfill's per-date results table, published again as each date finishes (its latest
    version is the one the backfill run's page shows)."""
    create_table_artifact(rows, key="mql-backfill-results",
                          description="backfill: per run date, its result and lead rows in and out")


def start_progress(total: int, first: date, last: date) -> UUID:
    return create_progress_artifact(0.0, key="mql-backfill-progress",
                                    description=f"backfill {first} to {last}: 0 of {total} dates done")


def report_progress(artifact_id: UUID, done: int, total: int, message: str) -> None:
    update_progress_artifact(artifact_id, 100.0 * done / total if total else 100.0,
                             description=f"{done} of {total} dates done; {message}")
