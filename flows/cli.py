"""The `mql` command: run a date, backfill a range, generate extracts, run the demo."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tasks.errors import MqlError

app = typer.Typer(help="mql-pipeline: decide every night which leads are Marketing Qualified Leads.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
# Wide enough for the run table when the output is a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 160)
bench = typer.Typer(help="Benchmarks: each prints its figures as JSON.", no_args_is_help=True)
app.add_typer(bench, name="bench")
errors = Console(stderr=True)  # the progress bar


def fail(message: str, status: int) -> typer.Exit:
    """Print one unwrapped line to stderr; the exit to raise."""
    sys.stderr.write(message.replace("\n", " ") + "\n")
    return typer.Exit(status)

DateOption = Annotated[str, typer.Option(help="Run date, YYYY-MM-DD.")]
ExtractsOption = Annotated[str | None, typer.Option("--extracts", help="Folder of <YYYY-MM-DD>/ extract folders.")]
WarehouseOption = Annotated[str | None, typer.Option("--warehouse", help="SQLAlchemy URL of the warehouse.")]
ModelOption = Annotated[str | None, typer.Option("--model", help="Scoring model YAML file.")]


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a user error as one line and exit non-zero, instead of a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MqlError as exc:
            raise fail(f"error: {exc}", 2) from None
        except Exception as exc:  # a database error the user can act on (a full disk, a read-only file): one line
            from tasks.warehouse.connection import database_problem

            problem = database_problem(exc, _shown_warehouse(kwargs.get("warehouse")))
            if problem is None:
                raise
            raise fail(f"error: {problem}", 2) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper


def _shown_warehouse(warehouse: str | None) -> str:
    """The command's warehouse URL without its password, for an error message ("" if unknown)."""
    try:
        url = sa.engine.make_url(warehouse_settings(warehouse).warehouse_url)
    except (MqlError, sa.exc.ArgumentError, ValueError):
        return ""
    return url.render_as_string(hide_password=True)


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MqlError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _quiet_prefect() -> None:
    # Stage logs belong in the Prefect UI; the terminal shows the progress bar, the summary and
    # a one-line error (Prefect would log the failure again, with a traceback).
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_INTERNAL_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def run_dates(start: date, end: date, extracts: str | None, warehouse: str | None, model: str | None,
              show_progress: bool = True) -> list[Any]:
    """Run each date in order (and the later loaded dates that depend on them), with a progress bar."""
    _quiet_prefect()
    from flows.nightly import nightly, resolve_settings, run_range
    from flows.settings import warehouse_option

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, disable=not show_progress, transient=False) as bar:
        task_id = bar.add_task("running", total=None)

        def progress(dates: list[date], done: int, message: str) -> None:
            following = f"run date {dates[done]}" if done < len(dates) else "done"
            bar.update(task_id, total=len(dates), completed=done, description=following)

        def run(run_date: date) -> Any:
            return nightly(run_date=run_date, extracts_dir=extracts, model_path=model)

        with warehouse_option(warehouse):  # the flows read it from there, never as a parameter
            settings = resolve_settings(extracts_dir=extracts, model_path=model)
            return run_range(settings, start, end, run, f"mql run/backfill {start} to {end}", progress)


def warehouse_settings(warehouse: str | None) -> Any:
    """The settings, with the warehouse of the --warehouse option if given."""
    from flows.nightly import resolve_settings
    from flows.settings import warehouse_option

    _quiet_prefect()  # reading a Secret block may start Prefect's temporary API server
    with warehouse_option(warehouse):
        return resolve_settings()


@app.command()
@user_errors
def run(date_: Annotated[str, typer.Option("--date", help="Run date, YYYY-MM-DD.")],
        extracts: ExtractsOption = None, warehouse: WarehouseOption = None, model: ModelOption = None) -> None:
    """Run one date (re-running a loaded date replaces it, and re-runs the loaded dates after it)."""
    day = parse_date(date_, "--date")
    summaries = run_dates(day, day, extracts, warehouse, model, show_progress=False)
    print_summaries(summaries)


@app.command()
@user_errors
def backfill(start: Annotated[str, typer.Option(help="First run date, YYYY-MM-DD.")],
             end: Annotated[str, typer.Option(help="Last run date, YYYY-MM-DD.")],
             extracts: ExtractsOption = None, warehouse: WarehouseOption = None, model: ModelOption = None) -> None:
    """Run every date from --start to --end in order."""
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise MqlError(f"--end {last} is before --start {first}")
    print_summaries(run_dates(first, last, extracts, warehouse, model))


@app.command()
@user_errors
def generate(out: Annotated[Path, typer.Option(help="Folder to write the extracts to.")],
             start: Annotated[str, typer.Option(help="First date, YYYY-MM-DD.")],
             days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 7,
             leads_per_day: Annotated[int, typer.Option(min=1, help="Lead rows per day.")] = 1000,
             seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
             format_: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
             hard: Annotated[bool, typer.Option(help="Duplicates that share no exact key, and look-alike "
                                                     "people (the identity resolution benchmark).")] = False) -> None:
    """Generate realistic synthetic extracts with planted problems and a ground-truth file."""
    from synthetic.generate import generate_extracts

    if format_ not in ("csv", "parquet"):
        raise MqlError(f"--format must be csv or parquet, not {format_!r}")
    summary = generate_extracts(out, parse_date(start, "--start"), days, leads_per_day, seed, fmt=format_, hard=hard)
    console.print(f"wrote {days} day(s) of extracts to {out}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@app.command()
@user_errors
def demo(folder: Annotated[Path, typer.Option(help="Folder for the demo's extracts and warehouse.")] = Path("demo"),
         days: Annotated[int, typer.Option(min=1)] = 7,
         leads_per_day: Annotated[int, typer.Option(min=1)] = 1000,
         seed: Annotated[int, typer.Option()] = 7) -> None:
    """Generate a week of extracts, run them into a local SQLite warehouse, print what happened."""
    from synthetic.generate import generate_extracts

    started = time.perf_counter()
    extracts, warehouse_file = folder / "extracts", folder / "warehouse.db"
    shutil.rmtree(extracts, ignore_errors=True)
    warehouse_file.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    first = date(2026, 3, 2)
    generate_extracts(extracts, first, days, leads_per_day, seed)
    url = f"sqlite:///{warehouse_file.resolve()}"
    summaries = run_dates(first, first + timedelta(days=days - 1), str(extracts), url, None)
    print_summaries(summaries)
    from tasks.reporting.evaluate import demo_quality

    quality = demo_quality(extracts / "ground_truth.csv", url)
    console.print("against the generator's ground truth: " + ", ".join(f"{k} {v}" for k, v in quality.items()))
    console.print(f"warehouse: {warehouse_file.resolve()}  (sqlite3 {warehouse_file} 'select * from leads limit 5')")
    console.print(f"wall time: {time.perf_counter() - started:.1f} s")


def _open_warehouse(warehouse: str | None, writing: bool = True) -> Any:
    """The configured warehouse (option, else MQL_WAREHOUSE_URL or its Secret block), for the review commands."""
    from tasks.warehouse.connection import open_warehouse

    settings = warehouse_settings(warehouse)
    return open_warehouse(settings.warehouse_url, settings.warehouse_schema, writing=writing)


@app.command()
@user_errors
def review(date_: Annotated[str, typer.Option("--date", help="Run date, YYYY-MM-DD.")],
           warehouse: WarehouseOption = None,
           reason: Annotated[str | None, typer.Option(help="Only rows with this reason.")] = None,
           limit: Annotated[int, typer.Option(min=0, help="Rows to list (0: counts only).")] = 50) -> None:
    """List the date's rejected and quarantined rows by reason (emails masked)."""
    from tasks.screening.review import review_day

    day = parse_date(date_, "--date")
    engine = _open_warehouse(warehouse, writing=False)
    try:
        with engine.connect() as conn:
            found = review_day(conn, day)
    finally:
        engine.dispose()
    by_reason, rows = found.by_reason, found.rows
    if reason:
        by_reason = by_reason[by_reason["reason"] == reason]
        rows = rows[rows["reasons"].str.split(r";\s*", regex=True).map(lambda codes: reason in codes)]
    table = Table(title=f"set aside on {day}: {len(rows)} row(s)")
    for name in ("file", "disposition", "reason", "rows", "released"):
        table.add_column(name, justify="right" if name in ("rows", "released") else "left")
    for r in by_reason.itertuples(index=False):
        table.add_row(r.kind, r.disposition, r.reason, str(r.rows), str(r.released))
    console.print(table)
    if limit and len(rows):
        listing = Table(title=f"rows (first {min(limit, len(rows))}; release one with `mql release`)")
        for name in ("file", "row", "disposition", "source_system", "source_lead_id", "email", "reasons", "released by"):
            listing.add_column(name, overflow="fold")
        for r in rows.head(limit).itertuples(index=False):
            listing.add_row(r.kind, str(r.row_number), r.disposition, *(str(v or "")[:60] for v in (
                r.source_system, r.source_lead_id, r.email, r.reasons, r.released_by)))
        console.print(listing)


def _record(warehouse: str | None, action: Callable[..., dict[str, str]], *args: str) -> dict[str, str]:
    """Run an audited reviewer action (`action(conn, *args, now)`) in one warehouse transaction."""
    from datetime import datetime, timezone

    engine = _open_warehouse(warehouse)
    try:
        with engine.begin() as conn:
            return action(conn, *args, datetime.now(timezone.utc))
    finally:
        engine.dispose()


@app.command()
@user_errors
def release(source_system: Annotated[str, typer.Option(help="Source system of the rejected lead.")],
            source_lead_id: Annotated[str, typer.Option(help="Its id in the source system.")],
            by: Annotated[str, typer.Option(help="Who releases it (kept in lead_releases).")],
            note: Annotated[str, typer.Option(help="Why (kept in lead_releases).")],
            warehouse: WarehouseOption = None) -> None:
    """Let a rejected lead through on the next run, overriding its reasons (audited)."""
    from tasks.screening.review import release as record_release

    done = _record(warehouse, record_release, source_system, source_lead_id, by, note)
    console.print(f"released {source_system}/{source_lead_id} (rejected on {done['rejected_run_date']} for "
                  f"{done['reasons']}) by {done['released_by']}: the next run lets it through")


@app.command()
@user_errors
def unmerge(source_system: Annotated[str, typer.Option(help="Source system of the wrongly merged record.")],
            source_lead_id: Annotated[str, typer.Option(help="Its id in the source system.")],
            by: Annotated[str, typer.Option(help="Who asks for it (kept in lead_splits).")],
            reason: Annotated[str, typer.Option(help="Why (kept in lead_splits).")],
            extracts: ExtractsOption = None, warehouse: WarehouseOption = None, model: ModelOption = None,
            rerun: Annotated[bool, typer.Option(help="Re-run from the date of the merge now (default); "
                                                     "--no-rerun leaves it to the next run of that date.")] = True,
            ) -> None:
    """Split a record from the lead it was merged into, for good; then re-run from the date of
    the merge, so both leads are rebuilt and scored from their own activity."""
    from tasks.screening.review import unmerge as record_split

    done = _record(warehouse, record_split, source_system, source_lead_id, by, reason)
    console.print(f"split {source_system}/{source_lead_id} from lead {done['lead_id']} "
                  f"({done['records']} other record(s)); merged on {done['merged_on']}")
    if rerun:
        merged_on = date.fromisoformat(done["merged_on"])
        print_summaries(run_dates(merged_on, merged_on, extracts, warehouse, model, show_progress=False))
    else:
        console.print(f"re-run from {done['merged_on']} to apply it: mql run --date {done['merged_on']}")


@bench.command("dedupe")
@user_errors
def bench_dedupe(days: Annotated[int, typer.Option(min=1, help="Generated days.")] = 3,
                 leads_per_day: Annotated[int, typer.Option(min=1, help="Lead rows per day.")] = 1000,
                 seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
                 febrl: Annotated[Path | None, typer.Option(help="Folder of the FEBRL files (dataset1-4).")] = None,
                 folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here "
                                                            "(default: a temporary folder).")] = None) -> None:
    """Identity resolution quality as JSON: pairwise precision, recall and F1 on the generator's
    hard duplicate set run through the nightly flow, and on the FEBRL files when given."""
    from flows.benchmarks import dedupe_benchmark

    _quiet_prefect()
    _print_json(dedupe_benchmark(days, leads_per_day, seed, febrl, folder))


@bench.command("dedupe-scale")
@user_errors
def bench_dedupe_scale(incoming: Annotated[int, typer.Option(min=100, help="Lead rows of the day.")] = 1_000_000,
                       existing: Annotated[int, typer.Option(min=1, help="Leads already in the warehouse.")] = 5_000_000,
                       warehouse: Annotated[str | None, typer.Option(
                           "--warehouse", help="An empty warehouse to load (default: SQLite in the folder).")] = None,
                       seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
                       folder: Annotated[Path | None, typer.Option(help="Keep the files here (default: temporary).")]
                       = None) -> None:
    """Throughput and peak memory of the dedupe stage, as JSON: a day of generated lead rows
    against a lead base already in the warehouse."""
    from flows.benchmarks import dedupe_scale_benchmark

    _print_json(dedupe_scale_benchmark(incoming, existing, warehouse, seed, folder))


@bench.command("fraud")
@user_errors
def bench_fraud(days: Annotated[int, typer.Option(min=1, help="Generated days.")] = 5,
                leads_per_day: Annotated[int, typer.Option(min=1, help="Lead rows per day.")] = 1000,
                seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
                folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here "
                                                           "(default: a temporary folder).")] = None) -> None:
    """Junk detection precision and recall against the generator's ground truth, as JSON."""
    from flows.benchmarks import fraud_detection_benchmark

    _quiet_prefect()
    _print_json(fraud_detection_benchmark(days, leads_per_day, seed, folder))


@bench.command("report")
@user_errors
def bench_report(out: Annotated[Path, typer.Option(help="The benchmark page to write.")] = Path("docs/benchmarks.md"),
                 quick: Annotated[bool, typer.Option(help="Tiny sizes: checks the page and its commands in "
                                                          "about a minute; the figures mean little.")] = False,
                 febrl: Annotated[Path | None, typer.Option(
                     help="Folder of the FEBRL files (default: ../shared/benchmarks/febrl beside the checkout, "
                          "when it exists).")] = None,
                 postgres: Annotated[str | None, typer.Option(
                     help="Also time the dedupe stage on this PostgreSQL warehouse, in MQL_WAREHOUSE_SCHEMA "
                          "(an empty schema, e.g. bench).")] = None) -> None:
    """Run the benchmarks and write their figures, the date and the machine to a markdown page."""
    from flows.bench_report import write_report

    _quiet_prefect()
    page = write_report(out, quick=quick, febrl=febrl, postgres_url=postgres,
                        progress=lambda text: errors.print(text))
    console.print(f"wrote {page}")


def _print_json(figures: dict[str, Any]) -> None:
    import json

    print(json.dumps(figures, indent=2))


@app.command()
@user_errors
def upgrade(warehouse: WarehouseOption = None) -> None:
    """Bring a warehouse made by an older release to this release's schema revision, in one
    transaction, holding the run lock (an empty warehouse gets the tables)."""
    from tasks.warehouse.migrations import upgrade as upgrade_schema
    from tasks.warehouse.connection import connect_warehouse, warehouse_errors

    settings = warehouse_settings(warehouse)
    engine = connect_warehouse(settings.warehouse_url, settings.warehouse_schema)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with warehouse_errors(engine, "cannot upgrade"):
            before, after = upgrade_schema(engine, settings.warehouse_schema,
                                           f"mql upgrade, pid {os.getpid()} on {socket.gethostname()}", settings.lock_wait_seconds)
    finally:
        engine.dispose()
    if before is None:
        console.print(f"warehouse {shown} was empty: made at revision {after}")
    elif before == after:
        console.print(f"warehouse {shown} is at revision {after}, this release's: nothing to do")
    else:
        console.print(f"warehouse {shown} upgraded from revision {before} to {after}")


@app.command()
@user_errors
def status(warehouse: WarehouseOption = None,
           limit: Annotated[int, typer.Option(min=1, help="How many of the latest runs to show.")] = 20) -> None:
    """Show the latest runs from the audit tables: date, state, counts, duration, error."""
    from tasks.warehouse.connection import open_warehouse, query

    settings = warehouse_settings(warehouse)
    engine = open_warehouse(settings.warehouse_url, settings.warehouse_schema, writing=False)
    try:
        with engine.connect() as conn:
            runs = query(conn, "recent_runs", {"limit": limit})
    finally:
        engine.dispose()
    table = Table(title=f"latest {len(runs)} run(s), newest first")
    names = ("run date", "state", "started (UTC)", "seconds", "lead rows in", "written", "merged", "rejected",
             "quarantined", "new MQLs", "error")
    for name in names:
        table.add_column(name, justify="left" if name in ("run date", "state", "started (UTC)", "error") else "right",
                         overflow="fold")
    for r in runs.itertuples(index=False):
        started, ended = pd_timestamp(r.started_at), pd_timestamp(r.ended_at)
        seconds = f"{(ended - started).total_seconds():.1f}" if started is not None and ended is not None else ""
        table.add_row(str(r.run_date)[:10], r.status, started.strftime("%Y-%m-%d %H:%M:%S") if started else "",
                      seconds, *("" if v is None or v != v else str(int(v)) for v in (
                          r.leads_in, r.written, r.merged, r.rejected, r.quarantined, r.new_mqls)),
                      _text(r.error)[:200])
    console.print(table)


def pd_timestamp(value: Any) -> Any:
    """A warehouse timestamp (text on SQLite) as a UTC pandas Timestamp, or None."""
    import pandas as pd

    if value is None or value != value:
        return None
    return pd.Timestamp(value).tz_convert("UTC") if pd.Timestamp(value).tzinfo else pd.Timestamp(value, tz="UTC")


@app.command()
@user_errors
def explain(lead: Annotated[str, typer.Option(help="Lead id, or source_system/source_lead_id.")],
            date_: Annotated[str | None, typer.Option("--date", help="As of this run date (default: latest).")] = None,
            warehouse: WarehouseOption = None) -> None:
    """Why a lead has its score, stage and nurture track: every rule's points, and its transitions."""
    from tasks.reporting.explain import explain as explain_lead
    from tasks.warehouse.connection import open_warehouse

    on = parse_date(date_, "--date") if date_ else date.max
    settings = warehouse_settings(warehouse)
    engine = open_warehouse(settings.warehouse_url, settings.warehouse_schema, writing=False)
    try:
        with engine.connect() as conn:
            found = explain_lead(conn, lead, on)
    finally:
        engine.dispose()
    s = found.score
    console.print(f"lead {found.lead_id} scored on {str(s['run_date'])[:10]} with model {s['model_version']}: "
                  f"fit {s['fit_score']:.1f} + engagement {s['engagement_score']:.1f} = total "
                  f"{s['total_score']:.1f}, grade {s['grade']}")
    table = Table(title="contributions (they sum to the total)")
    for name in ("kind", "rule", "earned that day", "decay factor", "carried value", "points"):
        table.add_column(name, justify="left" if name in ("kind", "rule") else "right")
    for c in found.contributions.itertuples(index=False):
        table.add_row(c.kind, c.rule, f"{c.raw_points:g}", f"{c.decay_factor:.3f}", f"{c.decayed_value:.2f}",
                      f"{c.points:.2f}")
    console.print(table)
    events = Table(title="lifecycle")
    for name in ("run date", "from", "to", "at", "cause", "detail"):
        events.add_column(name)
    for e in found.events.itertuples(index=False):
        events.add_row(*(_text(v) for v in (str(e.run_date)[:10], e.from_stage, e.to_stage, e.occurred_at,
                                             e.cause, e.detail)))
    console.print(events)
    for n in found.enrollments.itertuples(index=False):
        exited = _text(n.exited_run_date)
        console.print(f"nurture: {n.segment} from {str(n.entered_run_date)[:10]}"
                      + (f" to {exited[:10]} ({n.exit_reason})" if exited else " (open)"))


def _text(value: Any) -> str:
    """A warehouse value as table text; missing values (None, NaN, NaT) as empty."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


@bench.command("model")
@user_errors
def bench_model(days: Annotated[int, typer.Option(min=1)] = 14,
                leads_per_day: Annotated[int, typer.Option(min=1)] = 1000,
                seed: Annotated[int, typer.Option()] = 7, model: ModelOption = None,
                folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here.")] = None) -> None:
    """ROC AUC of the scoring model against the generator's hidden conversions, as JSON."""
    _quiet_prefect()
    from flows.benchmarks import model_benchmark

    _print_json(model_benchmark(days, leads_per_day, seed, model, folder))


@bench.command("cost")
@user_errors
def bench_cost(days: Annotated[int, typer.Option(min=3, help="Timed days.")] = 30,
               leads_per_day: Annotated[int, typer.Option(min=1)] = 2000,
               seed: Annotated[int, typer.Option()] = 7,
               warmup_days: Annotated[int, typer.Option(min=1, help="Untimed days loaded first.")] = 10,
               folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here.")] = None) -> None:
    """Nightly run time over a backfill at constant daily volume (does day N cost more than day 1?), as JSON."""
    _quiet_prefect()
    from flows.benchmarks import cost_benchmark

    _print_json(cost_benchmark(days, leads_per_day, seed, warmup_days, folder))


def print_summaries(summaries: list[Any]) -> None:
    table = Table(title="runs")
    for name in ("run date", "lead rows in", "written", "merged", "rejected", "quarantined", "erased",
                 "top reject reasons", "new MQLs", "enrolled"):
        table.add_column(name, justify="left" if name in ("run date", "top reject reasons") else "right")
    for summary in summaries:
        c = summary.counts
        reasons = sorted(((k.split(":", 1)[1], v) for k, v in c["fraud"].items() if k.startswith("rejected:")),
                         key=lambda kv: -kv[1])
        table.add_row(
            str(summary.run_date), *(str(c["conservation"].get(k, 0)) for k in ("leads_in", "written", "merged",
                                                                               "rejected", "quarantined", "erased")),
            ", ".join(f"{k} {v}" for k, v in reasons[:3]), str(c["qualify"]["new_mqls"]),
            str(c["nurture"]["enrolled"]),
        )
    console.print(table)


@app.command()
@user_errors
def erase(email: Annotated[str | None, typer.Option(help="The person's email address.")] = None,
          phone: Annotated[str | None, typer.Option(help="The person's phone number, in international form (+...).")]
          = None,
          lead: Annotated[str | None, typer.Option(help="The person's lead id.")] = None,
          by: Annotated[str, typer.Option(help="Who erases (kept in erasure_ledger; not the person).")] = "",
          reason: Annotated[str, typer.Option(help="Why, e.g. a ticket number (kept in erasure_ledger; "
                                                   "must not name the person).")] = "",
          warehouse: WarehouseOption = None) -> None:
    """Erase a person on request (GDPR, CCPA): their data leaves every table, aggregates stay under an
    anonymous id, and every later run or re-run drops their rows (keyed-hash tombstones)."""
    from datetime import datetime, timezone

    from flows.nightly import holding_warehouse, resolve_settings, warehouse_hashing
    from tasks.privacy.erasure import erase as erase_person
    from tasks.warehouse.locks import check_lock

    settings = resolve_settings(warehouse_url=warehouse)
    with holding_warehouse(settings, "mql erase") as engine:
        keys, _ = warehouse_hashing(engine, settings)
        with engine.begin() as conn:
            check_lock(conn)  # the fence: a holder that lost the lock never commits
            done = erase_person(conn, keys, by, reason, datetime.now(timezone.utc), email=email, phone=phone,
                                lead_id=lead)
    console.print(f"erased {done['leads']} lead(s), {done['source_records']} source record(s), "
                  f"{done['set_aside_rows']} rejected or quarantined row(s); {done['tombstones']} tombstone(s) in "
                  f"erasure_ledger (erasure {done['erasure_id']}): later runs and re-runs drop this person's rows")


@app.command()
@user_errors
def rekey(old_secret_env: Annotated[str | None, typer.Option(
              help="Environment variable holding the secret the warehouse's keys were made with "
                   "(default: the key file beside a SQLite warehouse; none for a warehouse of an earlier version).")]
          = None,
          warehouse: WarehouseOption = None) -> None:
    """Rotate the match-key secret: recompute every stored match key from the stored identities under
    MQL_MATCH_KEY_SECRET, in one transaction under the run lock."""
    from flows.nightly import holding_warehouse, resolve_settings
    from flows.settings import secret_from_environment
    from tasks.identity.dedupe import load_dedupe_config
    from tasks.privacy.hash_keys import configured_key, key_file, rekey as rotate
    from tasks.identity.matching import HashKey
    from tasks.warehouse.locks import check_lock

    settings = resolve_settings(warehouse_url=warehouse)
    if settings.match_key_secret is None:
        raise MqlError("MQL_MATCH_KEY_SECRET is not set: set it to the new secret, then run `mql rekey`")
    new = configured_key(settings.warehouse_url, settings.match_key_secret.get_secret_value())
    old: HashKey | None = None
    path = key_file(settings.warehouse_url)
    if old_secret_env:
        secret = secret_from_environment(old_secret_env)
        if secret is None:
            raise MqlError(f"--old-secret-env: environment variable {old_secret_env} is not set")
        old = HashKey.derive(secret)
    elif path is not None and path.exists():
        old = configured_key(settings.warehouse_url, None)
    config = load_dedupe_config(settings.dedupe_config_path)
    with holding_warehouse(settings, "mql rekey") as engine:
        with engine.begin() as conn:
            check_lock(conn)  # the fence: a holder that lost the lock never commits
            done = rotate(conn, old, new, config)
    if old is not None and not old_secret_env and path is not None:
        path.unlink(missing_ok=True)  # the retired secret: MQL_MATCH_KEY_SECRET holds the current one
    console.print(f"re-keyed {done['match_keys']} match key(s) from {done['source_records']} source record(s) "
                  f"under the new secret; {done['retired_keys_kept']} retired key(s) kept, encrypted, for "
                  "erasure tombstones")


def main() -> None:
    sys.exit(app())
