"""`mql` commands that run the pipeline: run a date, backfill a range, generate extracts, the demo."""

from __future__ import annotations

import shutil
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.cli.common import (app, console, errors, ExtractsOption, WarehouseOption, ModelOption, user_errors,
                              parse_date, _quiet_prefect)
from tasks.errors import MqlError


def run_dates(start: date, end: date, extracts: str | None, warehouse: str | None, model: str | None,
              show_progress: bool = True, missing: str = "fail", dashboard: bool = False) -> list[Any]:
    """Run each date in order (and the later loaded dates that depend on them), with a progress bar;
    dates without extracts are recorded as no_data (`missing` "skip") or refuse the range ("fail").
    With `dashboard`, the dashboard across run dates is rebuilt afterwards, as the flows do."""
    _quiet_prefect()
    from flows.nightly import heartbeat_unread, nightly, parent_heartbeat, rebuild_dashboard, resolve_settings, run_range
    from flows.settings import warehouse_option

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, disable=not show_progress, transient=False) as bar:
        task_id = bar.add_task("running", total=None)

        def progress(dates: list[date], done: int, message: str) -> None:
            following = f"run date {dates[done]}" if done < len(dates) else "done"
            bar.update(task_id, total=len(dates), completed=done, description=following)

        def run(run_date: date) -> Any:
            # A date is a top-level flow run: it keeps its heartbeat where a server outlives this process.
            with parent_heartbeat() if heartbeat_unread() else nullcontext():
                return nightly(run_date=run_date, extracts_dir=extracts, model_path=model)

        with warehouse_option(warehouse):  # the flows read it from there, never as a parameter
            settings = resolve_settings(extracts_dir=extracts, model_path=model)
            summaries = run_range(settings, start, end, run, f"mql run/backfill {start} to {end}", progress, missing)
            if dashboard and summaries:
                rebuild_dashboard(settings, max(s.run_date for s in summaries))
            return summaries


@app.command()
@user_errors
def run(date_: Annotated[str, typer.Option("--date", help="Run date, YYYY-MM-DD.")],
        extracts: ExtractsOption = None, warehouse: WarehouseOption = None, model: ModelOption = None) -> None:
    """Run one date (re-running a loaded date replaces it, and re-runs the loaded dates after it)."""
    day = parse_date(date_, "--date")
    summaries = run_dates(day, day, extracts, warehouse, model, show_progress=False, dashboard=True)
    print_summaries(summaries)


@app.command()
@user_errors
def backfill(start: Annotated[str, typer.Option(help="First run date, YYYY-MM-DD.")],
             end: Annotated[str, typer.Option(help="Last run date, YYYY-MM-DD.")],
             extracts: ExtractsOption = None, warehouse: WarehouseOption = None, model: ModelOption = None,
             missing: Annotated[str, typer.Option(
                 "--missing", help="A date without extracts: skip (record it as no_data, run the others) "
                                   "or fail (run nothing).")] = "skip") -> None:
    """Run every date from --start to --end in order, in this process."""
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise MqlError(f"--end {last} is before --start {first}")
    from flows.nightly import MISSING

    if missing not in MISSING:
        raise MqlError(f"--missing must be one of {', '.join(MISSING)}, not {missing!r}")
    print_summaries(run_dates(first, last, extracts, warehouse, model, missing=missing, dashboard=True))


@app.command()
@user_errors
def generate(out: Annotated[Path, typer.Option(help="Folder to write the extracts to.")],
             start: Annotated[str, typer.Option(help="First date, YYYY-MM-DD.")],
             days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 7,
             leads_per_day: Annotated[int, typer.Option(min=1, help="Lead rows per day.")] = 1000,
             seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
             format_: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
             hard: Annotated[bool, typer.Option(help="Duplicates that share no exact key, and look-alike "
                                                     "people (the identity resolution benchmark).")] = False,
             disguise: Annotated[bool, typer.Option(help="Rename the scoring attributes into custom ones with other "
                                                         "categories and scales (CSV only): data the hand-written "
                                                         "model and a fitter were not written for.")] = False) -> None:
    """Generate realistic synthetic extracts with planted problems and a ground-truth file."""
    from synthetic.generate import generate_extracts

    if format_ not in ("csv", "parquet"):
        raise MqlError(f"--format must be csv or parquet, not {format_!r}")
    if disguise and format_ != "csv":
        raise MqlError("--disguise writes CSV extracts: leave out --format parquet")
    summary = generate_extracts(out, parse_date(start, "--start"), days, leads_per_day, seed, fmt=format_, hard=hard)
    if disguise:
        from synthetic.disguise import disguise_extracts

        disguise_extracts(out, seed)
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
    summaries = run_dates(first, first + timedelta(days=days - 1), str(extracts), url, None, dashboard=True)
    print_summaries(summaries)
    from tasks.reporting.evaluate import demo_quality

    quality = demo_quality(extracts / "ground_truth.csv", url)
    console.print("against the generator's ground truth: " + ", ".join(f"{k} {v}" for k, v in quality.items()))
    console.print(f"warehouse: {warehouse_file.resolve()}  (sqlite3 {warehouse_file} 'select * from leads limit 5')")
    from flows.settings import Settings

    dashboard = Settings(warehouse_url=url).reports_location / "dashboard.html"
    if dashboard.is_file():
        console.print(f"dashboard: {dashboard}")
    console.print(f"wall time: {time.perf_counter() - started:.1f} s")


def print_summaries(summaries: list[Any]) -> None:
    table = Table(title="runs")
    for name in ("run date", "lead rows in", "written", "merged", "rejected", "quarantined", "erased",
                 "top reject reasons", "new MQLs", "enrolled"):
        table.add_column(name, justify="left" if name in ("run date", "top reject reasons") else "right")
    for summary in summaries:
        if summary.status == "no_data":
            table.add_row(str(summary.run_date), *["-"] * 6, "no data (no extracts)", "-", "-")
            continue
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
