"""The nightly MQL flow and the backfill flow: wiring of the stages in flows/stages.py.

One run date: extract -> validate -> screen (quarantine, normalise, discard junk) -> match
against the warehouse -> deduplicate -> score -> qualify -> enroll -> write back, the write in
one transaction together with the audit rows.
"""

from __future__ import annotations

import json
import logging
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from prefect import flow, get_run_logger
from sqlalchemy.engine import Engine

from flows.artifacts import (emit_night_event, monitor_stage, publish_backfill_results, publish_dashboard,
                             publish_dry_run, report_progress, run_logger, start_progress)
from flows.settings import PROJECT_ROOT, Settings, read_secret_block
from flows.stages import (utc_now, DaskChunks, assemble_stage, dedupe_stage, export_stage, extract_stage,
                          failed_stage, lead_stages, match_stage, partitioned_lead_stages, retire_stage, scale_out,
                          screen_stage, stage_seconds, validate_stage, warehouse_hashing, write_stage)
from tasks.errors import BackfillError, ConfigError, ExtractError, MqlError
from tasks.identity import assignment
from tasks.intake.extract import check_extracts_location, extract_exists, no_extract_message, wait_for_extract
from tasks.intake.location import shown_location
from tasks.reporting.monitoring import AnomalyError, load_monitoring_config
from tasks.scoring.model import ScoringModel, load_model
from tasks.screening.fraud import FraudRules, load_fraud_rules
from tasks.warehouse import rerun, state
from tasks.warehouse.connection import execute, first_line, open_warehouse, parse_url
from tasks.warehouse.locks import check_lock, describe_holder, holds_lock, retry_if_transient, warehouse_lock


T = TypeVar("T")


class _EmptyMeansDefault:
    """The JSON schema of an optional flow parameter as its type alone: Prefect's run form then shows
    a plain field (left empty for the default) rather than a choice of types with "Property is type
    'None'"."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = dict(handler(core_schema))
        kinds = [kind for kind in schema.pop("anyOf", []) if kind.get("type") != "null"]
        return {**kinds[0], **schema} if len(kinds) == 1 else {"anyOf": kinds, **schema}


# An optional flow parameter: empty (None, or "" from a form) means the setting's default. A text
# parameter defaults to "" rather than None: the run form sends an empty field as the default's
# value, and refuses a null one ("None is not of type 'string'").
OrDefault = Annotated[T | None, _EmptyMeansDefault()]


# What a range does with its dates that have no extracts: record them as `no_data` and run the
# others, or refuse the range (nothing run).
Missing = Literal["skip", "fail"]
MISSING: tuple[str, ...] = ("skip", "fail")


@dataclass
class RunSummary:
    run_id: str
    run_date: date
    status: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str | None = None
    report_path: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


def code_version() -> str:
    """The package version and, in a git checkout, the commit."""
    from importlib.metadata import version

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return version("mql-pipeline") + (f"+{commit}" if commit else "")


def _begin_run(engine: Engine, run_date: date, parameters: dict[str, Any], model_version: str | None) -> str:
    run_id = str(uuid.uuid4())
    with engine.begin() as conn:
        execute(conn, "insert_run", {
            "run_id": run_id, "run_date": run_date, "parameters": json.dumps(parameters, default=str),
            "started_at": utc_now(), "code_version": code_version(), "model_version": model_version,
        })
    return run_id


def _fail_run(engine: Engine, run_id: str, error: str, status: str = "failed") -> None:
    with engine.begin() as conn:
        execute(conn, "finish_run", {"run_id": run_id, "status": status, "ended_at": utc_now(), "error": error})


def logical_day(zone: str) -> date:
    """The day before the flow run's scheduled start (or now), in the given time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from prefect.runtime import flow_run

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"MQL_TIMEZONE: unknown time zone {zone!r}") from exc
    start = flow_run.scheduled_start_time or datetime.now(timezone.utc)
    local = start.astimezone(tz)
    # A plain date: Prefect's scheduled time is a pendulum DateTime, whose Date the drivers refuse.
    return date(local.year, local.month, local.day) - timedelta(days=1)


def resolve_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the caller's non-empty options on top; the warehouse URL
    from the Secret block MQL_WAREHOUSE_URL_SECRET_BLOCK names, when it is set."""
    from pydantic import ValidationError

    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "MQL_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        raise ConfigError(f"{name}: {error['msg']}") from exc
    origin = "warehouse_url" if overrides.get("warehouse_url") is not None else "MQL_WAREHOUSE_URL"
    if block := settings.warehouse_url_secret_block:
        if "warehouse_url" in settings.model_fields_set:
            raise ConfigError(f"{origin} and MQL_WAREHOUSE_URL_SECRET_BLOCK are both set: set one")
        settings.warehouse_url = read_secret_block(block)
        origin = f"the Secret block {block!r} (MQL_WAREHOUSE_URL_SECRET_BLOCK)"
    parse_url(settings.warehouse_url, origin)
    return settings


def refuse_password(warehouse_url: str | None) -> None:
    """Refuse a warehouse_url parameter that holds a password (or cannot be read), and blank it in
    the flow run's record: Prefect keeps parameters in its database and shows them in its UI."""
    if warehouse_url is None:
        return
    try:
        if parse_url(warehouse_url, "warehouse_url parameter").password is None:
            return
        problem = ConfigError("warehouse_url parameter holds a password, and Prefect keeps flow parameters: "
                              "put the URL in MQL_WAREHOUSE_URL or in a Prefect Secret block named by "
                              "MQL_WAREHOUSE_URL_SECRET_BLOCK")
    except ConfigError as exc:
        problem = exc
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run.id)
        client.update_flow_run(run.id, parameters={**run.parameters, "warehouse_url": "(refused)"})
    raise problem


@contextmanager
def parent_heartbeat() -> Iterator[None]:
    """Flows started inside send no Prefect heartbeat of their own: for the dates a backfill or a
    re-run chain runs as subflows in its own process, whose flow run's heartbeat already tells
    Prefect the process is alive (zombie detection). A heartbeat thread of their own would only
    cost time: Prefect waits for its one-second sleep to end when the subflow ends, 0.9 s a date
    measured (`docs/benchmarks.md`). The CLI's dates run under it too when Prefect's temporary API
    server serves them (`heartbeat_unread`)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def heartbeat_unread() -> bool:
    """True when flow runs here are served by Prefect's temporary API server (no PREFECT_API_URL):
    it stops with this process, so no zombie detection ever reads a heartbeat sent to it."""
    from prefect.settings import PREFECT_API_URL

    return not PREFECT_API_URL.value()


def nightly_run_name() -> str:
    """`nightly 2026-03-04`: the run's date (a scheduled run's logical day)."""
    from prefect.runtime import flow_run

    day = flow_run.parameters.get("run_date")
    if day is None:
        try:
            day = logical_day(Settings().timezone)
        except ValueError:  # a bad setting: the run itself fails with the one-line message
            day = "(logical day)"
    return f"nightly {day}"


def backfill_run_name() -> str:
    """`backfill 2026-03-01..2026-03-07` (`backfill dry run ...` for a dry run)."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    kind = "backfill dry run" if parameters.get("dry_run") else "backfill"
    return f"{kind} {parameters.get('start_date')}..{parameters.get('end_date')}"


@flow(name="mql-nightly", flow_run_name=nightly_run_name, log_prints=False)
def nightly(
    run_date: OrDefault[date] = None,
    extracts_dir: OrDefault[str] = "",
    warehouse_url: OrDefault[str] = "",
    model_path: OrDefault[str] = "",
) -> RunSummary:
    """Score and qualify one run date's extracts into the warehouse (default: the schedule's logical
    day, the day before the run was scheduled to start), then re-run the loaded dates after it.

    Args:
        run_date: The date to score (a Custom run needs one); empty, as in a Quick run or a scheduled
            one: the day before the run was scheduled to start.
        extracts_dir: Folder (or fsspec URL) of the dated extract folders, one per YYYY-MM-DD; empty:
            MQL_EXTRACTS_DIR.
        warehouse_url: SQLAlchemy URL without a password; empty: MQL_WAREHOUSE_URL or the Secret block
            named by MQL_WAREHOUSE_URL_SECRET_BLOCK, where credentials belong.
        model_path: The scoring model YAML file; empty: MQL_MODEL_PATH.
    """
    try:
        return _nightly(run_date, extracts_dir or None, warehouse_url or None, model_path or None)
    except MqlError as exc:
        from prefect.runtime import flow_run

        night = str(run_date) if run_date else str(flow_run.name).removeprefix("nightly ")
        # An anomaly failure was alerted on by the monitor stage, which found it.
        return failed_run(exc, night, alert=not isinstance(exc, AnomalyError))


def _nightly(run_date: date | None, extracts_dir: str | None, warehouse_url: str | None,
             model_path: str | None) -> RunSummary:
    refuse_password(warehouse_url)
    settings = resolve_settings(extracts_dir=extracts_dir, warehouse_url=warehouse_url, model_path=model_path)
    run_date = run_date or logical_day(settings.timezone)
    if not _within_range(settings):
        note = _await_extract(settings, run_date)
        def run(day: date) -> RunSummary:
            if day == run_date:
                return _nightly(day, extracts_dir, warehouse_url, model_path)
            with parent_heartbeat():
                return nightly(run_date=day, extracts_dir=extracts_dir, warehouse_url=warehouse_url,
                               model_path=model_path)

        summary = run_range(settings, run_date, run_date, run, f"run date {run_date}", note=note)[0]
        rebuild_dashboard(settings, summary.run_date)
        return summary
    model = load_model(settings.model_path)
    rules = load_fraud_rules(settings.fraud_rules_path)
    linking = assignment.load_dedupe_config(settings.dedupe_config_path)
    load_monitoring_config(settings.monitoring_path)  # a bad file fails here, not after the write
    engine = open_run_warehouse(settings)
    try:
        with _lock(engine, settings, f"run date {run_date}"):
            run_id, counts = score_date(engine, run_date, settings, model, rules, linking)
            monitored = monitor_stage(engine, run_id, run_date, counts, settings,
                                      (model.mql.entry_min_total, model.mql.entry_min_fit))
            if settings.export_to:
                export_stage(engine, run_date, settings.storage(settings.export_to), settings.export_format)
    finally:
        engine.dispose()
    from prefect.runtime import flow_run

    seconds = stage_seconds(flow_run.id)
    get_run_logger().info("run date %s: seconds by stage %s", run_date, json.dumps(seconds))
    if monitored.anomalies.fired and settings.fail_on_anomaly:
        raise AnomalyError(f"{run_date}: " + "; ".join(a.message for a in monitored.anomalies.fired)
                           + " (results are written; MQL_FAIL_ON_ANOMALY is set)")
    return RunSummary(run_id=run_id, run_date=run_date, status="succeeded", counts=counts,
                      report_path=monitored.report_path, stage_seconds=seconds)


def failed_run(exc: MqlError, night: str, alert: bool = True) -> Any:
    """The failed state of a flow run stopped by a user error: its message is the error's one line,
    as is the log's last line (no traceback: the line says what is wrong and where). With `alert`,
    the `mql.night.failed` event names the night, the failing stage and the line."""
    from prefect.runtime import flow_run
    from prefect.states import Failed

    message = str(exc)
    stage_seconds(flow_run.id)
    stage = failed_stage(flow_run.id)
    if stage == "start" and isinstance(exc, ExtractError):
        stage = "extract"  # refused before its stages ran: the date's extracts are missing or unreadable
    if alert:
        emit_night_event("failed", night, stage, message)
    get_run_logger().error("%s", message)
    _send_logs_now()
    return Failed(message=message, data=exc)


def _send_logs_now() -> None:
    """Send the run's queued log lines to the Prefect API before its final state is set: lines still
    queued then (the logger ships in batches) would reach the API only as the process exits, after
    the run already shows as failed, with its error missing from its log."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.instance().drain()  # the next line logged starts a new one


class _OneLineUserErrors(logging.Filter):
    """Prefect's engine logs a failed deployment run's error once more with its traceback ("Engine
    execution exited with unexpected exception"); for a user error, that record becomes the error's
    one line, so that the run's log ends with what is wrong and where. Other errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, MqlError):
            record.msg, record.args, record.exc_info, record.exc_text = "%s", (str(error),), None, None
        return True


logging.getLogger("prefect.flow_runs").addFilter(_OneLineUserErrors())


def _await_extract(settings: Settings, run_date: date) -> str:
    """Wait for the date's extracts as long as MQL_EXTRACTS_WAIT_SECONDS says (a loader that lands
    late); what to add to the error when they never came."""
    if settings.extracts_wait_seconds <= 0:
        return ""
    waited = wait_for_extract(settings.extracts, run_date, settings.extracts_wait_seconds,
                              settings.extracts_poll_seconds)
    if waited is None:
        return f" (waited {settings.extracts_wait_seconds:g} s, MQL_EXTRACTS_WAIT_SECONDS)"
    if waited:
        get_run_logger().info("the extracts of %s landed after %.0f s", run_date, waited)
    return ""


def _parameters(settings: Settings) -> dict[str, str]:
    return {"extracts_dir": shown_location(settings.extracts_dir), "model_path": str(settings.model_path),
            "fraud_rules_path": str(settings.fraud_rules_path),
            "dedupe_config_path": str(settings.dedupe_config_path)}


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, MqlError) else f"{type(exc).__name__}: {first_line(exc)}"


def _lock(engine: Engine, settings: Settings, what: str):
    return warehouse_lock(engine, describe_holder(what), settings.lock_wait_seconds,
                          lease_seconds=settings.lock_lease_seconds)


def _within_range(settings: Settings) -> bool:
    """Whether this process already holds the warehouse's lock for a range of dates (run_range)."""
    engine = open_run_warehouse(settings)
    try:
        return holds_lock(engine)
    finally:
        engine.dispose()


def score_date(engine: Engine, run_date: date, settings: Settings, model: ScoringModel, rules: FraudRules,
               linking: assignment.DedupeConfig, publish: bool = True) -> tuple[str, dict[str, dict[str, int]]]:
    """Record a run of the date in `runs`, run its stages (run_day) and mark it succeeded, or
    failed with the reason; (run id, counts). The caller holds the warehouse's lock."""
    run_id = _begin_run(engine, run_date, _parameters(settings), model.version)
    try:
        return run_id, run_day(engine, run_id, run_date, settings, model, rules, linking, publish)
    except Exception as exc:
        _fail_run(engine, run_id, _message(exc))
        raise


def run_day(engine: Engine, run_id: str, run_date: date, settings: Settings, model: ScoringModel,
            rules: FraudRules, linking: assignment.DedupeConfig, publish: bool = True) -> dict[str, dict[str, int]]:
    """The stages of one run date, in order; returns the run's counts (raises if anything would be lost).
    Without `publish`, the date's validation results are kept in the warehouse only (no Data Docs,
    no Prefect artifact): a what-if replay publishes nothing."""
    # Warehouse stages retry after a transient error (a lost connection, a locked database).
    retrying = {"retries": settings.warehouse_retries, "retry_delay_seconds": settings.warehouse_retry_delay_seconds,
                "retry_condition_fn": retry_if_transient}
    keys, ledger = warehouse_hashing(engine, settings)
    extract = extract_stage.with_options(**retrying)(engine, settings.extracts, run_date)
    reports = validate_stage(extract, run_date, settings.expectations_dir, engine, run_id,
                             settings.data_docs_location if publish else None)
    leads, activities, outcomes, quarantined = screen_stage.with_options(**retrying)(
        engine, extract, reports, rules, run_date, ledger)
    fields, day_keys, known = match_stage.with_options(**retrying)(
        engine, leads.survivors, activities, outcomes, run_date, linking, keys)
    with scale_out(settings) as runner:  # a Dask cluster, with MQL_LEAD_PARTITIONS > 1
        pool = DaskChunks(runner.client, settings.lead_partitions) if runner else None
        assigned, activities, outcomes = dedupe_stage(leads.survivors, fields, day_keys, known, activities,
                                                      outcomes, run_date, linking, pool)
        retired = retire_stage.with_options(**retrying)(engine, extract, leads.survivors, assigned, activities,
                                                         outcomes, run_date)
        # A retired lead's activities and outcomes are kept, not counted.
        per_lead = (leads.survivors, assigned, retired.active(activities), retired.active(outcomes), run_date, model,
                    linking.survivorship, retrying)
        done = (partitioned_lead_stages(runner, engine, settings, *per_lead, left_out=retired.left_out) if runner
                else lead_stages(engine, *per_lead, left_out=retired.left_out))
    day, counts = assemble_stage(run_date, model, extract, leads, done.lead_rows, assigned, done.scored,
                                 done.lifecycle, done.enrollments, activities, outcomes, quarantined, retired)
    write_stage.with_options(**retrying)(engine, run_id, run_date, day, counts, reports)
    get_run_logger().info("run date %s: %s", run_date, json.dumps(counts["conservation"]))
    return counts


def run_range(settings: Settings, start: date, end: date, run: Callable[[date], RunSummary], what: str,
              progress: Callable[[list[date], int, str], None] | None = None, missing: str = "fail",
              note: str = "") -> list[RunSummary]:
    """Run each date from start to end, then every loaded date after end, in order, under the
    warehouse's lock: each day builds on the state the day before left.

    A date of the range without extracts (and without loaded results) is recorded as `no_data` in
    `runs` when `missing` is "skip"; with "fail" the first one fails the run before any date runs
    (recorded, with `note` added to the error).

    When that replaces loaded dates after `start`, those dates are one chain (tasks/warehouse/rerun.py):
    their extracts are read and validated before anything is replaced, and if any date of the
    chain fails, every one of them is put back as it was."""
    with holding_warehouse(settings, what) as engine:
        dates = backfill_dates(settings, engine, start, end)
        with engine.connect() as conn:
            through = rerun.replaced_through(conn, start)
        absent = _refuse_or_skip(engine, settings, dates, end, missing, note)
        chain = (_open_chain(engine, settings, [d for d in dates if d not in absent], start, through, what)
                 if through else None)
        if progress:
            progress(dates, 0, "started")
        summaries: list[RunSummary] = []
        try:
            for day in dates:
                summaries.append(_no_data(engine, settings, day) if day in absent else run(day))
                if chain is not None and day == chain.through_date:
                    with engine.begin() as conn:
                        check_lock(conn)
                        rerun.close_chain(conn, chain)
                    chain = None
                if progress:
                    progress(dates, len(summaries), f"{day}: no data" if day in absent else f"{day} succeeded")
        except BaseException as exc:
            if chain is None:
                raise
            note = (f"the re-run from {chain.from_date} was rolled back: {chain.from_date} to "
                    f"{chain.through_date} are as they were")
            with engine.begin() as conn:
                check_lock(conn)
                rerun.roll_back(conn, chain, f"{_message(exc)}; {note}")
            if isinstance(exc, MqlError):
                raise type(exc)(f"{exc} ({note})") from exc
            raise
        return summaries


def absent_dates(engine: Engine, settings: Settings, dates: list[date], end: date) -> list[date]:
    """The dates up to `end` that have no extracts and no loaded results (a loaded date without
    extracts is not skipped: re-running before it must re-run it, and fails naming it). A remote
    location that cannot be listed fails here, in one line."""
    check_extracts_location(settings.extracts)
    with engine.connect() as conn:
        loaded = set(rerun.loaded_dates_from(conn, dates[0]))
    return [d for d in dates if d <= end and d not in loaded and not extract_exists(settings.extracts, d)]


def _refuse_or_skip(engine: Engine, settings: Settings, dates: list[date], end: date, missing: str,
                    note: str) -> set[date]:
    """The dates to record as no_data; raises (recording the failed run) when `missing` is "fail"
    and a date has no extracts, or when no date of the range has any."""
    if missing not in MISSING:
        raise ConfigError(f"missing: must be one of {', '.join(MISSING)}, not {missing!r}")
    absent = absent_dates(engine, settings, dates, end)
    if not absent:
        return set()
    if missing == "fail":
        more = (f" (and {len(absent) - 1} more date(s) from {dates[0]} to {end} without extracts; "
                "--missing skip records them as no_data and runs the others)" if len(absent) > 1 else "")
        message = no_extract_message(settings.extracts, absent[0]) + note + more
        _fail_run(engine, _begin_run(engine, absent[0], _parameters(settings), None), message)
        raise ExtractError(message)
    if len(absent) == sum(1 for d in dates if d <= end):
        raise ExtractError(f"no extracts for any date from {dates[0]} to {end} in "
                           f"{shown_location(settings.extracts_dir)}")
    return set(absent)


def _no_data(engine: Engine, settings: Settings, day: date) -> RunSummary:
    """Record a date without extracts as `no_data` in `runs`; nothing else is written."""
    run_id = _begin_run(engine, day, _parameters(settings), None)
    message = no_extract_message(settings.extracts, day)
    _fail_run(engine, run_id, message, status="no_data")
    return RunSummary(run_id=run_id, run_date=day, status="no_data", error=message)


def _open_chain(engine: Engine, settings: Settings, dates: list[date], start: date, through: date,
                what: str) -> rerun.Chain:
    """Check the extracts of every date the chain replaces, then open it; a date that would fail
    fails the run here, with nothing replaced (the `runs` table records why)."""
    try:
        rerun.check_extracts([day for day in dates if start < day <= through], settings.extracts,
                             settings.expectations_dir)
    except MqlError as exc:
        message = (f"cannot re-run {start}: the loaded dates after it up to {through} must be re-run too, "
                   f"and {exc}; nothing was changed")
        _fail_run(engine, _begin_run(engine, start, _parameters(settings), None), message)
        raise ExtractError(message) from exc
    with engine.begin() as conn:
        check_lock(conn)
        return rerun.open_chain(conn, start, through, describe_holder(what))


def backfill_dates(settings: Settings, engine: Engine, start_date: date, end_date: date) -> list[date]:
    """The dates a backfill runs: start to end, then every later loaded date, since each day
    builds on the state the day before left."""
    if end_date < start_date:
        raise MqlError(f"backfill end {end_date} is before start {start_date}")
    # A bad model or rules file fails here, before any date runs.
    load_model(settings.model_path)
    load_fraud_rules(settings.fraud_rules_path)
    assignment.load_dedupe_config(settings.dedupe_config_path)
    load_monitoring_config(settings.monitoring_path)
    warehouse_hashing(engine, settings)  # a missing or wrong match-key secret fails here too
    with engine.connect() as conn:
        later = state.loaded_dates_after(conn, end_date)
    return [start_date + timedelta(days=i) for i in range((end_date - start_date).days + 1)] + later


@flow(name="mql-backfill", flow_run_name=backfill_run_name)
def backfill(
    start_date: date,
    end_date: date,
    extracts_dir: OrDefault[str] = "",
    warehouse_url: OrDefault[str] = "",
    model_path: OrDefault[str] = "",
    dry_run: bool = False,
    missing: Missing = "skip",
) -> list[RunSummary]:
    """Run every date from start to end in order (and the later loaded dates); stops at the first
    failure, naming the date and why. A dry run reads and validates each date's extracts and writes
    nothing.

    Args:
        start_date: The first date to run.
        end_date: The last date to run (the loaded dates after it are re-run too).
        extracts_dir: Folder (or fsspec URL) of the dated extract folders, one per YYYY-MM-DD; empty:
            MQL_EXTRACTS_DIR.
        warehouse_url: SQLAlchemy URL without a password; empty: MQL_WAREHOUSE_URL or the Secret block
            named by MQL_WAREHOUSE_URL_SECRET_BLOCK, where credentials belong.
        model_path: The scoring model YAML file; empty: MQL_MODEL_PATH.
        dry_run: Only read and validate each date's extracts; write nothing.
        missing: A date of the range without extracts: skip (record it as no_data in the runs table
            and run the others) or fail (run nothing).
    """
    try:
        return _backfill(start_date, end_date, extracts_dir or None, warehouse_url or None, model_path or None,
                         dry_run, missing)
    except MqlError as exc:
        # A failed date was alerted on by its own run; a dry run only reports.
        return failed_run(exc, f"{start_date}..{end_date}", alert=not isinstance(exc, BackfillError))


def _backfill(start_date: date, end_date: date, extracts_dir: str | None, warehouse_url: str | None,
              model_path: str | None, dry_run: bool, missing: str = "skip") -> list[RunSummary]:
    refuse_password(warehouse_url)
    settings = resolve_settings(extracts_dir=extracts_dir, warehouse_url=warehouse_url, model_path=model_path)
    if dry_run:
        with holding_warehouse(settings, f"backfill dry run {start_date} to {end_date}") as engine:
            dates = backfill_dates(settings, engine, start_date, end_date)
            skipped = set(absent_dates(engine, settings, dates, end_date)) if missing == "skip" else set()
            return _dry_run(engine, dates, settings, start_progress(len(dates), dates[0], dates[-1]), skipped)
    artifact: list[Any] = []
    results: dict[date, RunSummary] = {}

    def progress(dates: list[date], done: int, message: str) -> None:
        if not artifact:
            artifact.extend([start_progress(len(dates), dates[0], dates[-1]), dates])
        for day in dates[:done]:  # a date done without running: recorded as no_data (run_range)
            results.setdefault(day, RunSummary(run_id="", run_date=day, status="no_data",
                                               error=no_extract_message(settings.extracts_dir, day)))
        report_progress(artifact[0], done, len(dates), message)
        publish_backfill_results(_result_rows(dates, results))

    def run(run_date: date) -> RunSummary:
        dates = artifact[1]
        done = dates.index(run_date)
        try:
            with parent_heartbeat():
                summary = nightly(run_date=run_date, extracts_dir=extracts_dir, warehouse_url=warehouse_url,
                                  model_path=model_path)
        except Exception as exc:
            stopped = (f"backfill stopped at {run_date} (date {done + 1} of {len(dates)}; "
                       + (f"{dates[0]} to {dates[done - 1]} done" if done else "none done")
                       + (f", {dates[done + 1]} to {dates[-1]} not run" if done + 1 < len(dates) else "")
                       + f"): {_message(exc)}")
            report_progress(artifact[0], done, len(dates), stopped)
            results[run_date] = RunSummary(run_id="", run_date=run_date, status="failed", error=_message(exc))
            publish_backfill_results(_result_rows(dates, results))
            raise BackfillError(stopped) from exc
        results[run_date] = summary
        return summary

    summaries = run_range(settings, start_date, end_date, run, f"backfill {start_date} to {end_date}", progress,
                          missing=missing)
    rebuild_dashboard(settings, max(s.run_date for s in summaries))
    return summaries


def rebuild_dashboard(settings: Settings, through: date) -> Path | None:
    """The dashboard across run dates, rebuilt once a run's dates are written; its page (None when
    it could not be rebuilt: a warning says why)."""
    engine = open_run_warehouse(settings)
    try:
        path = publish_dashboard(engine, settings, through)
    except Exception as exc:  # the results are written: a view of them that fails must not fail the run
        run_logger().warning("dashboard not rebuilt: %s", _message(exc))
        return None
    finally:
        engine.dispose()
    run_logger().info("dashboard: %s", path)
    return path


def _result_rows(dates: list[date], results: dict[date, RunSummary]) -> list[dict[str, object]]:
    """The backfill's table: one row per date, its counts once it has run."""
    rows = []
    for day in dates:
        summary = results.get(day)
        counts = summary.counts if summary else {}
        conservation = counts.get("conservation", {})
        rows.append({"run date": str(day), "result": summary.status if summary else "not run yet",
                     **{name: conservation.get(name, "") for name in ("leads_in", "written", "merged", "rejected",
                                                                       "quarantined")},
                     "new MQLs": counts.get("qualify", {}).get("new_mqls", ""),
                     "error": (summary.error or "") if summary else ""})
    return rows


def open_run_warehouse(settings: Settings) -> Engine:
    """The run's warehouse; one made by an older release is upgraded first if MQL_AUTO_UPGRADE is set."""
    return open_warehouse(settings.warehouse_url, settings.warehouse_schema,
                          upgrade_as=describe_holder("upgrade before a run") if settings.auto_upgrade else None,
                          lock_wait_seconds=settings.lock_wait_seconds)


@contextmanager
def holding_warehouse(settings: Settings, what: str) -> Iterator[Engine]:
    """Hold the warehouse's run lock for a range of dates, so that no other run slips in between
    (a run rewrites its date and every loaded date after it)."""
    engine = open_run_warehouse(settings)
    try:
        with _lock(engine, settings, what):
            yield engine
    finally:
        engine.dispose()


def _dry_run(engine: Engine, dates: list[date], settings: Settings, progress,
            skipped: set[date]) -> list[RunSummary]:
    """Read and validate each date's extracts (no warehouse writes); fail at the end if any date would.
    The `skipped` dates (no extracts) are shown as no_data."""
    summaries = []
    for done, run_date in enumerate(dates):
        if run_date in skipped:
            summaries.append(RunSummary(run_id="", run_date=run_date, status="no_data"))
            report_progress(progress, done + 1, len(dates), f"{run_date}: no data")
            continue
        try:
            extract = extract_stage(engine, settings.extracts, run_date)
            validate_stage(extract, run_date, settings.expectations_dir)
            sizes = {f"{name}_in": 0 if frame is None else len(frame) for name, frame in extract.frames.items()}
            summaries.append(RunSummary(run_id="", run_date=run_date, status="dry-run ok", counts={"extract": sizes}))
        except MqlError as exc:
            summaries.append(RunSummary(run_id="", run_date=run_date, status="dry-run failed", error=str(exc)))
        report_progress(progress, done + 1, len(dates), f"{run_date} checked")
    publish_dry_run([{"run date": str(s.run_date), "result": s.status, **s.counts.get("extract", {}),
                      "error": s.error or ""} for s in summaries])
    failed = [s for s in summaries if s.error]
    if failed:
        raise BackfillError(f"dry run: {len(failed)} of {len(dates)} dates would fail; first {failed[0].run_date}: "
                            f"{failed[0].error}")
    return summaries
