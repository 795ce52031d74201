"""The `mql` command: run a date, backfill a range, generate extracts, run the demo."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
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
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper


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
    from flows.nightly import backfill_dates, nightly, resolve_settings

    settings = resolve_settings(extracts_dir=extracts, warehouse_url=warehouse, model_path=model)
    dates = backfill_dates(settings, start, end)
    summaries = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, disable=not show_progress, transient=False) as progress:
        bar = progress.add_task("running", total=len(dates))
        for run_date in dates:
            progress.update(bar, description=f"run date {run_date}")
            summaries.append(nightly(run_date=run_date, extracts_dir=extracts, warehouse_url=warehouse,
                                     model_path=model))
            progress.advance(bar)
    return summaries


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
             format_: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv") -> None:
    """Generate realistic synthetic extracts with planted problems and a ground-truth file."""
    from tasks.generate import generate_extracts

    if format_ not in ("csv", "parquet"):
        raise MqlError(f"--format must be csv or parquet, not {format_!r}")
    summary = generate_extracts(out, parse_date(start, "--start"), days, leads_per_day, seed, fmt=format_)
    console.print(f"wrote {days} day(s) of extracts to {out}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@app.command()
@user_errors
def demo(folder: Annotated[Path, typer.Option(help="Folder for the demo's extracts and warehouse.")] = Path("demo"),
         days: Annotated[int, typer.Option(min=1)] = 7,
         leads_per_day: Annotated[int, typer.Option(min=1)] = 1000,
         seed: Annotated[int, typer.Option()] = 7) -> None:
    """Generate a week of extracts, run them into a local SQLite warehouse, print what happened."""
    from tasks.generate import generate_extracts

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
    from tasks.evaluate import demo_quality

    quality = demo_quality(extracts / "ground_truth.csv", url)
    console.print("against the generator's ground truth: " + ", ".join(f"{k} {v}" for k, v in quality.items()))
    console.print(f"warehouse: {warehouse_file.resolve()}  (sqlite3 {warehouse_file} 'select * from leads limit 5')")
    console.print(f"wall time: {time.perf_counter() - started:.1f} s")


@app.command()
@user_errors
def explain(lead: Annotated[str, typer.Option(help="Lead id, or source_system/source_lead_id.")],
            date_: Annotated[str | None, typer.Option("--date", help="As of this run date (default: latest).")] = None,
            warehouse: WarehouseOption = None) -> None:
    """Why a lead has its score, stage and nurture track: every rule's points, and its transitions."""
    from flows.nightly import resolve_settings
    from tasks.explain import explain as explain_lead
    from tasks.warehouse import open_warehouse

    on = parse_date(date_, "--date") if date_ else date.max
    settings = resolve_settings(warehouse_url=warehouse)
    engine = open_warehouse(settings.warehouse_url, settings.warehouse_schema)
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
    import json

    _quiet_prefect()
    from flows.benchmarks import model_quality

    started = time.perf_counter()
    figures = model_quality(days, leads_per_day, seed, model, folder)
    command = f"mql bench model --days {days} --leads-per-day {leads_per_day} --seed {seed}"
    print(json.dumps({"benchmark": "model", "command": command, **figures,
                      "seconds": round(time.perf_counter() - started, 1)}, indent=2))


@bench.command("cost")
@user_errors
def bench_cost(days: Annotated[int, typer.Option(min=3, help="Timed days.")] = 30,
               leads_per_day: Annotated[int, typer.Option(min=1)] = 2000,
               seed: Annotated[int, typer.Option()] = 7,
               warmup_days: Annotated[int, typer.Option(min=1, help="Untimed days loaded first.")] = 10,
               folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here.")] = None) -> None:
    """Nightly run time over a backfill at constant daily volume (does day N cost more than day 1?), as JSON."""
    import json

    _quiet_prefect()
    from flows.benchmarks import cost_curve

    figures = cost_curve(days, leads_per_day, seed, warmup_days, folder)
    command = f"mql bench cost --days {days} --leads-per-day {leads_per_day} --seed {seed} --warmup-days {warmup_days}"
    print(json.dumps({"benchmark": "cost", "command": command, **figures}, indent=2))


def print_summaries(summaries: list[Any]) -> None:
    table = Table(title="runs")
    for name in ("run date", "lead rows in", "written", "merged", "rejected", "quarantined", "top reject reasons",
                 "new MQLs", "enrolled"):
        table.add_column(name, justify="left" if name in ("run date", "top reject reasons") else "right")
    for summary in summaries:
        c = summary.counts
        reasons = sorted(((k.split(":", 1)[1], v) for k, v in c["fraud"].items() if k.startswith("rejected:")),
                         key=lambda kv: -kv[1])
        table.add_row(
            str(summary.run_date), *(str(c["conservation"][k]) for k in ("leads_in", "written", "merged",
                                                                        "rejected", "quarantined")),
            ", ".join(f"{k} {v}" for k, v in reasons[:3]), str(c["qualify"]["new_mqls"]),
            str(c["nurture"]["enrolled"]),
        )
    console.print(table)


def main() -> None:
    sys.exit(app())
