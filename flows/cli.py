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
