"""The nightly run's stages as Prefect tasks: each calls the stage logic in `tasks/` and does the
warehouse I/O at its edges; flows/nightly.py only calls them in order."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from flows.settings import Settings
from tasks.errors import ConfigError, ExtractError, MqlError
from tasks.intake.location import Storage, open_location, write_file
from tasks.identity import assignment, survivorship
from tasks.identity.comparisons import ChunkPool
from tasks.intake.extract import Extract, Extracts, read_extract
from tasks.intake.validate import ValidationReport, summary_markdown, validate_extract, write_data_docs
from tasks.privacy.erasure import Ledger, load_ledger
from tasks.privacy.hash_keys import HashKeys, configured_key, warehouse_keys
from tasks.scoring import handoff, nurture, qualify, score
from tasks.scoring.model import ScoringModel
from tasks.screening import review, screen
from tasks.screening.fraud import FraudRules
from tasks.screening.screen import ScreenedLeads
from tasks.warehouse import retirement, state
from tasks.warehouse.connection import bulk_insert, connect_warehouse, execute, query
from tasks.warehouse.conservation import check_conservation, stage_counts
from tasks.warehouse.locks import check_lock
from tasks.warehouse.partitions import LeadPartition, concat_dataclass, concat_parts, split_by_lead

_FAILED_STAGES: dict[str, str] = {}  # flow run id -> the name of its stage that failed last


def note_failed_stage(task, task_run, state) -> None:
    """A stage's on_failure hook: remember it, so that the run's alert names the failing stage."""
    _FAILED_STAGES[str(task_run.flow_run_id)] = task.name


def failed_stage(flow_run_id: object) -> str:
    """The stage of the flow run that failed (`start`: none did, the run failed before its stages)."""
    return _FAILED_STAGES.pop(str(flow_run_id), "start")


_STAGE_SECONDS: dict[str, dict[str, float]] = {}  # flow run id -> seconds spent in each stage
F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def timing(name: str) -> Iterator[None]:
    """Adds the block's wall time to the flow run's seconds of stage `name` (see stage_seconds)."""
    from prefect.runtime import flow_run

    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = _STAGE_SECONDS.setdefault(str(flow_run.id), {})
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started


def stage(name: str) -> Callable[[F], F]:
    """A stage: a Prefect task named `name` (no result cache, no retries unless a caller asks,
    failures noted for the run's alert), whose wall time is kept for `stage_seconds`. The plain
    function stays at `<stage>.fn.__wrapped__` (what a partition on a Dask worker runs)."""
    def decorate(function: F) -> F:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with timing(name):
                return function(*args, **kwargs)

        return task(name=name, cache_policy=NO_CACHE, retries=0, on_failure=[note_failed_stage])(timed)

    return decorate


def stage_seconds(flow_run_id: object) -> dict[str, float]:
    """Seconds each stage of the flow run took so far (retries included), in the order they ran;
    forgets them."""
    return {name: round(value, 3) for name, value in _STAGE_SECONDS.pop(str(flow_run_id), {}).items()}


@stage("extract")
def extract_stage(engine: Engine, extracts_dir: Extracts, run_date: date) -> Extract:
    extract = read_extract(extracts_dir, run_date)
    with engine.connect() as conn:
        released = review.pending_releases(conn, run_date, extract.leads)
    return review.with_released_rows(extract, released)


@stage("validate")
def validate_stage(extract: Extract, run_date: date, expectations_dir: Path, engine: Engine | None = None,
                   run_id: str | None = None, data_docs_dir: Path | None = None) -> dict[str, ValidationReport]:
    reports = {
        name: validate_extract(frame, name, run_date, expectations_dir)
        for name, frame in extract.frames.items() if frame is not None
    }
    if engine is not None and run_id and data_docs_dir is not None:
        # Before a critical failure raises, so the failed run's Data Docs show why.
        _publish_validation(engine, run_id, run_date, reports, Path(data_docs_dir))
    critical = [message for report in reports.values() for message in report.critical]
    if critical:
        raise ExtractError(f"{run_date}: critical validation failure: {critical[0]}"
                           + (f" (and {len(critical) - 1} more)" if len(critical) > 1 else ""))
    return reports


def _publish_validation(engine: Engine, run_id: str, run_date: date, reports: dict[str, ValidationReport],
                        data_docs_dir: Path) -> None:
    """Data Docs site of the run (path in runs.data_docs_path) and a summary artifact."""
    from prefect.artifacts import create_markdown_artifact

    index = write_data_docs(reports, data_docs_dir / run_date.isoformat() / run_id, f"{run_date} run {run_id}")
    with engine.begin() as conn:
        execute(conn, "set_data_docs_path", {"run_id": run_id, "data_docs_path": str(index.resolve())})
    create_markdown_artifact(key="validation", markdown=summary_markdown(reports, index.resolve()),
                             description=f"Great Expectations results of run date {run_date}")


def warehouse_hashing(engine: Engine, settings: Settings) -> tuple[HashKeys, Ledger]:
    """The warehouse's hash keys, checked against the configured secret, and its erasure ledger."""
    secret = settings.match_key_secret.get_secret_value() if settings.match_key_secret is not None else None
    key = configured_key(settings.warehouse_url, secret)
    with engine.begin() as conn:
        keys = warehouse_keys(conn, key)
        return keys, load_ledger(conn, keys)


@stage("screen")
def screen_stage(engine: Engine, extract: Extract, reports: dict[str, ValidationReport], rules: FraudRules,
                 run_date: date, ledger: Ledger):
    with engine.connect() as conn:
        leads = screen.screen_leads(extract.leads, reports["leads"], rules, run_date,
                                    known=lambda rows: review.mark_known(conn, rows, run_date, ledger.keys.current),
                                    ledger=ledger)
    activities, quarantined_activities = screen.screen_rows(
        extract.frames["activities"], reports.get("activities"), "activities", run_date, ledger)
    outcomes, quarantined_outcomes = screen.screen_rows(
        extract.frames["outcomes"], reports.get("outcomes"), "outcomes", run_date, ledger)
    quarantined = pd.concat([quarantined_activities, quarantined_outcomes], ignore_index=True)
    return leads, screen.flag_bots(activities, rules), outcomes, quarantined


@stage("match")
def match_stage(engine: Engine, survivors: pd.DataFrame, activities: pd.DataFrame, outcomes: pd.DataFrame,
                run_date: date, config: assignment.DedupeConfig, keys: HashKeys
                ) -> tuple[pd.DataFrame, pd.DataFrame, assignment.Known]:
    """The day's match fields and keys, and what the warehouse knows of those keys and records."""
    sources = pd.concat([f[["source_system", "source_lead_id"]] for f in (survivors, activities, outcomes)],
                        ignore_index=True).dropna().drop_duplicates()
    with state.Lookup(engine, sources, run_date, config.workers) as lookup:  # the records' look-ups start now
        fields = assignment.match_fields(survivors, config)
        day_keys = assignment.row_keys(survivors, config, fields, key=keys.current)
        return fields, day_keys, lookup.known(day_keys, config.linkage.max_block)


@stage("dedupe")
def dedupe_stage(survivors: pd.DataFrame, fields: pd.DataFrame, keys: pd.DataFrame, known: assignment.Known,
                 activities: pd.DataFrame, outcomes: pd.DataFrame, run_date: date, config: assignment.DedupeConfig,
                 pool: ChunkPool | None = None) -> tuple[assignment.Assignment, pd.DataFrame, pd.DataFrame]:
    """The day's rows assigned to leads (the candidate pairs scored in `pool`, a Dask cluster, when
    given); the day's activities and outcomes attributed to them."""
    assigned = assignment.assign_leads(survivors, known, run_date.isoformat(), config, fields, keys, pool=pool)
    absorbed = assigned.absorbed
    return (assigned, activities.assign(lead_id=assignment.attribute(activities, known, assigned.rows, absorbed)),
            outcomes.assign(lead_id=assignment.attribute(outcomes, known, assigned.rows, absorbed)))


@stage("retire")
def retire_stage(engine: Engine, extract: Extract, survivors: pd.DataFrame, assigned: assignment.Assignment,
                 activities: pd.DataFrame, outcomes: pd.DataFrame, run_date: date) -> retirement.Retirement:
    """The day's deleted source records against the days before: the leads none of whose records
    is live any more are retired, those with a live record again restored; which leads the day
    leaves out."""
    live = survivors[["row_number", "source_system", "source_lead_id"]].merge(
        assigned.rows[["row_number", "lead_id"]], on="row_number")
    # Each lead once: a day's activities name about a tenth as many leads as they have rows.
    touched = pd.concat([assigned.rows["lead_id"], activities["lead_id"], outcomes["lead_id"]],
                        ignore_index=True).dropna().drop_duplicates(ignore_index=True)
    with engine.connect() as conn:
        return retirement.retire(conn, run_date, extract.deleted, live, touched, state.end_of_day(run_date))


@stage("load_state")
def load_state_stage(engine: Engine, assigned: assignment.Assignment, activities: pd.DataFrame,
                     outcomes: pd.DataFrame, run_date: date, window_days: int | None = None,
                     partition: LeadPartition | None = None, left_out: pd.Series | None = None) -> state.LeadState:
    """What the day before left of every lead the day touches, and of those due for a look (with a
    window decay, their activities of the window's earlier days too); of one partition's leads only
    when given one; not of the `left_out` leads (retired). Leads absorbed today are read into the
    leads absorbing them."""
    touched = pd.concat([assigned.rows["lead_id"], activities["lead_id"],
                         state.sales_feedback(outcomes)["lead_id"]]).dropna().unique()
    absorbed = assigned.absorbed
    with engine.connect() as conn:
        due = state.due_for_review(conn, run_date)
        if partition is not None:
            due = due[partition.holds(due)]
        if left_out is not None:
            due = due[~due.isin(left_out)]
        due = due[~due.isin(absorbed.index)]
        return state.load_lead_state(conn, pd.concat([pd.Series(touched, dtype=object), due]).drop_duplicates(),
                                     run_date, window_days, absorbed)


@stage("survive")
def survive_stage(survivors: pd.DataFrame, assigned: assignment.Assignment, prior: state.LeadState,
                  activities: pd.DataFrame, outcomes: pd.DataFrame, run_date: date,
                  rules: survivorship.Survivorship) -> pd.DataFrame:
    """Profiles of the day's leads: golden records merged from their rows, carried ones for the rest,
    each stamped with when the lead last acted (`event_at`)."""
    existing = pd.concat([prior.profiles, prior.absorbed_profiles], ignore_index=True) \
        if len(prior.absorbed_profiles) else prior.profiles
    golden = survivorship.golden_records(survivors, assigned.rows, existing, rules)
    profiles = state.day_profiles(golden, prior.profiles, activities)
    profiles["event_at"] = state.event_times(profiles["lead_id"], golden, activities, outcomes, run_date)
    return profiles


@stage("score")
def score_stage(profiles: pd.DataFrame, prior: state.LeadState, activities: pd.DataFrame, run_date: date,
                model: ScoringModel) -> tuple[pd.DataFrame, score.Scores]:
    derived = score.derive_attributes(profiles, model)
    derived["interests"] = nurture.interests(derived, activities, model)
    countable = activities[activities["bot_reason"].isna() & activities["lead_id"].notna()]
    engagement = prior.engagement
    if len(prior.merged_activities):  # merged leads: engagement replayed from their combined activity
        engagement = pd.concat([engagement, score.replayed_state(prior.merged_activities, run_date, model)],
                               ignore_index=True)
    return derived, score.score_leads(derived, engagement, countable, run_date, model, prior.window_activities)


@stage("qualify")
def qualify_stage(profiles: pd.DataFrame, scored: score.Scores, outcomes: pd.DataFrame, run_date: date,
                  model: ScoringModel) -> tuple[qualify.Lifecycle, pd.DataFrame]:
    """Lifecycle changes, and the `leads` rows of the day: profile, scores and lifecycle together."""
    sales = state.sales_feedback(outcomes)  # the source system's own lifecycle flags move no lead
    lifecycle = qualify.qualify(profiles, scored.scores, sales[sales["lead_id"].notna()], model)
    engagement = scored.contributions[scored.contributions["kind"] == "engagement"]
    after = lifecycle.leads.merge(scored.scores[["lead_id", "fit_score"]], on="lead_id")
    lifecycle.leads["review_on"] = qualify.review_dates(after, engagement, run_date, model, scored.window).to_numpy()
    return lifecycle, state.lead_rows(profiles, scored.scores, lifecycle.leads, model.version, run_date)


@stage("enroll")
def enroll_stage(lead_rows: pd.DataFrame, profiles: pd.DataFrame, open_enrollments: pd.DataFrame, run_date: date,
                 model: ScoringModel) -> pd.DataFrame:
    leads = lead_rows.merge(profiles[["lead_id", "event_at"]], on="lead_id")
    return nurture.enroll(leads, open_enrollments, run_date.isoformat(), model)


@dataclass(frozen=True)
class LeadResults:
    """What the per-lead stages (load_state to enroll) give the rest of the run."""

    scored: score.Scores
    lifecycle: qualify.Lifecycle
    lead_rows: pd.DataFrame
    enrollments: pd.DataFrame


def lead_stages(engine: Engine, survivors: pd.DataFrame, assigned: assignment.Assignment, activities: pd.DataFrame,
                outcomes: pd.DataFrame, run_date: date, model: ScoringModel, rules: survivorship.Survivorship,
                retrying: dict[str, Any], partition: LeadPartition | None = None,
                left_out: pd.Series | None = None) -> LeadResults:
    """The per-lead stages, load_state to enroll: over the day's leads as Prefect stages (the
    warehouse one with `retrying`), or over one partition of them as plain functions (inside that
    partition's task on a Dask worker, see partitioned_lead_stages); never over the `left_out`
    (retired) leads."""
    def step(stage_task: Any, **options: Any) -> Callable[..., Any]:
        if partition is not None:
            return stage_task.fn.__wrapped__
        return stage_task.with_options(**options) if options else stage_task

    prior = step(load_state_stage, **retrying)(engine, assigned, activities, outcomes, run_date,
                                               model.engagement.window_days, partition, left_out)
    profiles = step(survive_stage)(survivors, assigned, prior, activities, outcomes, run_date, rules)
    profiles, scored = step(score_stage)(profiles, prior, activities, run_date, model)
    lifecycle, lead_rows = step(qualify_stage)(profiles, scored, outcomes, run_date, model)
    enrollments = step(enroll_stage)(lead_rows, profiles, prior.enrollments, run_date, model)
    return LeadResults(scored, lifecycle, lead_rows, enrollments)


@task(name="leads", cache_policy=NO_CACHE, retries=0)
def lead_partition_stage(warehouse: SecretStr, schema: str, partition: LeadPartition, run_date: date,
                         model: ScoringModel, rules: survivorship.Survivorship,
                         left_out: pd.Series | None = None) -> LeadResults:
    """The per-lead stages over one partition of the day's leads, on a Dask worker: it reads the
    warehouse on a connection of its own and writes nothing."""
    engine = connect_warehouse(warehouse.get_secret_value(), schema)
    try:
        return lead_stages(engine, partition.survivors, partition.assigned, partition.activities,
                           partition.outcomes, run_date, model, rules, {}, partition, left_out)
    finally:
        engine.dispose()


def partitioned_lead_stages(runner: Any, engine: Engine, settings: Settings, survivors: pd.DataFrame,
                            assigned: assignment.Assignment, activities: pd.DataFrame, outcomes: pd.DataFrame,
                            run_date: date, model: ScoringModel, rules: survivorship.Survivorship,
                            retrying: dict[str, Any], left_out: pd.Series | None = None) -> LeadResults:
    """The per-lead stages in `settings.lead_partitions` partitions by lead, side by side on the
    Dask cluster of prefect-dask's task `runner` (see scale_out); the same rows as one process
    gives, in lead order. The Prefect UI shows one `leads i/n` task each."""
    from prefect.runtime import flow_run

    parts = split_by_lead(survivors, assigned, activities, outcomes, settings.lead_partitions)
    warehouse = SecretStr(engine.url.render_as_string(hide_password=False))
    try:
        with timing("leads"):
            # Each partition goes to a worker of its own directly, not through the scheduler's task graph.
            sent = runner.client.scatter(parts)
            futures = [runner.submit(lead_partition_stage.with_options(task_run_name=f"leads {part.label}", **retrying),
                                     parameters={"warehouse": warehouse, "schema": settings.warehouse_schema,
                                                 "partition": data, "run_date": run_date, "model": model,
                                                 "rules": rules, "left_out": left_out})
                       for part, data in zip(parts, sent)]
            results: list[LeadResults] = [future.result() for future in futures]
    except BaseException:
        _FAILED_STAGES[str(flow_run.id)] = "leads"
        raise
    return LeadResults(scored=concat_dataclass([r.scored for r in results]),
                       lifecycle=concat_dataclass([r.lifecycle for r in results]),
                       lead_rows=concat_parts([r.lead_rows for r in results]),
                       enrollments=concat_parts([r.enrollments for r in results]))


@dataclass(frozen=True)
class DaskChunks:
    """Chunks of candidate pairs scored on the Dask cluster (comparisons.ChunkPool): what every chunk
    shares is sent to the workers once."""

    client: Any
    partitions: int

    def __call__(self, function: Callable[..., pd.DataFrame], parts: list[pd.DataFrame], *shared: Any
                 ) -> list[pd.DataFrame]:
        sent = [self.client.scatter(value, broadcast=True) for value in shared]
        return self.client.gather([self.client.submit(function, part, *sent, pure=False) for part in parts])


@contextmanager
def scale_out(settings: Settings) -> Iterator[Any]:
    """With MQL_LEAD_PARTITIONS > 1, prefect-dask's task runner, started for the block (a local
    cluster) or on the cluster at MQL_DASK_ADDRESS; else None (everything runs in this process)."""
    if settings.lead_partitions == 1:
        yield None
        return
    with dask_runner(settings) as runner:
        yield runner


def dask_runner(settings: Settings) -> Any:
    """prefect-dask's task runner: on the cluster at MQL_DASK_ADDRESS, else on a local cluster of
    single-threaded worker processes, one per partition and at most one per core."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    if not api:  # the workers report to this process's temporary API server rather than start their own
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()
        api = server.api_url if server.running else None
    workers = max(1, min(settings.lead_partitions, os.cpu_count() or 1))
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None, "env": {"PREFECT_API_URL": api} if api else {}})


@stage("assemble")
def assemble_stage(run_date: date, model: ScoringModel, extract: Extract, leads: ScreenedLeads,
                   lead_rows: pd.DataFrame, assigned: assignment.Assignment, scored: score.Scores,
                   lifecycle: qualify.Lifecycle, enrollments: pd.DataFrame, activities: pd.DataFrame,
                   outcomes: pd.DataFrame, quarantined: pd.DataFrame, retired: retirement.Retirement
                   ) -> tuple[state.DayResult, dict[str, dict[str, int]]]:
    """Every row the day writes, by table (the day's hand-offs and retirements too), and the run's
    counts; raises if any input row would be lost."""
    handed = handoff.handoffs(run_date, lifecycle.events, scored.scores, scored.contributions, enrollments, model)
    day = state.day_result(run_date, model.version, lead_rows, assigned, scored, lifecycle, enrollments,
                           activities, outcomes, leads.set_aside, quarantined, handed, retired)
    counts = stage_counts(run_date, extract, leads.set_aside, assigned.rows, activities, outcomes, quarantined, day,
                          len(scored.contributions))
    counts["fraud"] |= {"released_rows_in": review.released_rows_in(extract.leads), **leads.override_counts()}
    if extract.deleted is not None:  # read from staging tables, whose loaders flag deleted records
        counts["retire"] = retired.counts()
    check_conservation(counts, run_date)
    return day, counts


@stage("write")
def write_stage(engine: Engine, run_id: str, run_date: date, day: state.DayResult,
                counts: dict[str, dict[str, int]], reports: dict[str, ValidationReport]) -> None:
    with engine.begin() as conn:
        check_lock(conn)
        state.write_day(conn, run_date, day)
        _write_audit(conn, run_id, run_date, counts, reports)
        execute(conn, "finish_run", {"run_id": run_id, "status": "succeeded", "ended_at": utc_now(), "error": None})


def _write_audit(conn, run_id: str, run_date: date, counts: dict[str, dict[str, int]],
                 reports: dict[str, ValidationReport]) -> None:
    rows = [(stage_name, metric, value) for stage_name, metrics in counts.items() for metric, value in metrics.items()]
    bulk_insert(conn, "run_counts", pd.DataFrame(
        [(run_id, run_date.isoformat(), s, m, int(v)) for s, m, v in rows],
        columns=["run_id", "run_date", "stage", "metric", "value"]))
    if reports:
        results = pd.concat([r.results for r in reports.values()], ignore_index=True)
        results = results.rename(columns={"column": "column_name"})
        results.insert(0, "run_date", run_date.isoformat())
        results.insert(0, "run_id", run_id)
        results["success"] = results["success"].astype(bool)
        bulk_insert(conn, "validation_results", results)


@stage("export")
def export_stage(engine: Engine, run_date: date, to: str | Storage, fmt: str, by: str = "nightly") -> str:
    """Write the run date's hand-offs (view lead_handoffs) to `to` (a folder or fsspec URL) as
    handoffs_<date>.<fmt>, replacing the date's earlier export, and record the export (by `by`) in
    handoff_exports; where it went."""
    if fmt not in handoff.EXPORT_FORMATS:
        raise ConfigError(f"export format must be one of {', '.join(handoff.EXPORT_FORMATS)}, not {fmt!r}")
    location = open_location(to, role="export location")
    with engine.connect() as conn:
        if not int(query(conn, "date_loaded", {"run_date": run_date})["runs"][0]):
            raise MqlError(f"{run_date} is not loaded in the warehouse (no succeeded run): nothing to export")
        rows = query(conn, "handoffs_for_date", {"run_date": run_date})
    data = handoff.export_bytes(rows, fmt)
    where = write_file(location, handoff.export_name(run_date, fmt), data)
    with engine.begin() as conn:
        execute(conn, "insert_export", handoff.export_record(run_date, where, fmt, len(rows), data, utc_now(), by))
    return where


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
