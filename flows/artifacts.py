"""Run-level monitoring wired into the flows: the `monitor` stage (summary, anomaly checks, HTML
report) and the Prefect artifacts it publishes, and the backfill's progress artifact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (create_markdown_artifact, create_progress_artifact, create_table_artifact,
                               update_progress_artifact)
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from flows.settings import Settings
from tasks.reporting import monitoring
from tasks.warehouse.connection import execute, query

REPORT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class RunMonitoring:
    summary: str
    report_path: str
    anomalies: monitoring.AnomalyReport


@task(name="monitor", cache_policy=NO_CACHE, retries=0)
def monitor_stage(engine: Engine, run_id: str, run_date: date, counts: monitoring.Counts,
                  settings: Settings) -> RunMonitoring:
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
    mqls["run_date"] = mqls["run_date"].astype(str).str[:10]
    anomalies = monitoring.check_anomalies(counts, history, config)
    path = monitoring.report_file(settings.reports_dir, run_date, run_id)
    data_docs = run["data_docs_path"].iloc[0] if len(run) else None
    summary = monitoring.summary_markdown(run_date, run_id, counts, validation, enrollments, anomalies,
                                          data_docs, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(monitoring.render_report(run_date, run_id, counts, scores, mqls, summary), encoding="utf-8")
    with engine.begin() as conn:
        execute(conn, "set_report_path", {"run_id": run_id, "report_path": str(path)})

    create_markdown_artifact(summary, key="mql-run-summary", description=f"MQL run {run_date}: summary")
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
        get_run_logger().warning("run date %s: %s", run_date, "; ".join(a.message for a in anomalies.fired))
    return RunMonitoring(summary=summary, report_path=str(path), anomalies=anomalies)


def publish_dry_run(rows: list[dict[str, object]]) -> None:
    """The dry run's answer: per date, the rows each extract file holds, or why the date would fail."""
    create_table_artifact(rows, key="mql-backfill-dry-run", description="backfill dry run: nothing was written")


def start_progress(total: int, first: date, last: date) -> UUID:
    return create_progress_artifact(0.0, key="mql-backfill-progress",
                                    description=f"backfill {first} to {last}: 0 of {total} dates done")


def report_progress(artifact_id: UUID, done: int, total: int, message: str) -> None:
    update_progress_artifact(artifact_id, 100.0 * done / total if total else 100.0,
                             description=f"{done} of {total} dates done; {message}")
