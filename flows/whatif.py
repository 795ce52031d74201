"""`mql model whatif`: replay a loaded range of dates with another scoring model into a scratch copy
of the warehouse, and compare its funnel with the live one.

The replay starts from the live warehouse's state as the day before the range left it (a copy,
tasks/warehouse/scratch.py) and runs the nightly stages of each date (flows/nightly.py: run_range,
score_date) on the dates' stored extracts, with the other model; nothing of the live warehouse is
written, and a replay publishes no reports, Data Docs, alerts or exports.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow

from flows.nightly import OrDefault, RunSummary, open_run_warehouse, resolve_settings, run_range, score_date
from flows.settings import Settings
from tasks.errors import ExtractError, MqlError
from tasks.identity import assignment
from tasks.intake.extract import extract_exists, no_extract_message
from tasks.intake.location import shown_location
from tasks.reporting import whatif as report
from tasks.scoring.model import load_model
from tasks.screening.fraud import load_fraud_rules
from tasks.warehouse.connection import query, query_in
from tasks.warehouse.scratch import Scratch, open_live, scratch_copy, shown

EXAMPLES = 10  # gained and lost leads shown by default


@dataclass(frozen=True)
class Replay:
    """What a what-if replays: the range's dates with results, those the live runs found without
    extracts, where the extracts are, and the live model's version(s) over the range."""

    start: date
    end: date
    loaded: list[date]
    no_data: list[date]
    extracts: str
    live_versions: list[str]


def plan_replay(settings: Settings, start: date, end: date, model_path: Path, extracts: str | None) -> Replay:
    """Check a what-if against the live warehouse, reading only: the model file loads, every date
    of the range was run (with results, or recorded without extracts), and the extracts the runs
    read (or `extracts`) are still there. Each refusal is one line."""
    if end < start:
        raise MqlError(f"--end {end} is before --start {start}")
    load_model(model_path)
    engine = open_live(settings.warehouse_url, settings.warehouse_schema)
    try:
        with engine.connect() as conn:
            runs = query(conn, "whatif_range_runs", {"start": start, "end": end})
            span = query(conn, "whatif_loaded_span").iloc[0]
    finally:
        engine.dispose()
    runs["run_date"] = runs["run_date"].map(lambda d: date.fromisoformat(str(d)[:10]))
    succeeded = runs[runs["status"] == "succeeded"]
    loaded = sorted(set(succeeded["run_date"]))
    no_data = sorted(set(runs["run_date"]) - set(loaded))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    missing = [d for d in days if d not in loaded and d not in no_data]
    where = f"warehouse {shown(settings.warehouse_url)}"
    if missing:
        held = (f"it holds {str(span['first_date'])[:10]} to {str(span['last_date'])[:10]}"
                if span["first_date"] is not None else "it holds no loaded date")
        more = f" (and {len(missing) - 1} more date(s) of the range)" if len(missing) > 1 else ""
        raise MqlError(f"{missing[0]} is not loaded in {where}{more}: a what-if replays loaded dates only; {held}")
    if not loaded:
        raise MqlError(f"no date from {start} to {end} has results in {where}: every one was run without extracts")
    if extracts is None:
        locations = sorted({json.loads(p).get("extracts_dir") for p in succeeded["parameters"]} - {None})
        if len(locations) != 1:
            raise MqlError(f"the runs of {start} to {end} read their extracts from "
                           + (f"{len(locations)} places ({', '.join(locations)})" if locations else "no recorded place")
                           + ": give --extracts")
        extracts = locations[0]
    source = settings.model_copy(update={"extracts_dir": extracts}).extracts  # a folder, or staging tables
    for day in loaded:
        if not extract_exists(source, day):
            raise ExtractError(f"{no_extract_message(source, day)}, but its run read extracts there: give "
                               f"--extracts where the extracts of {start} to {end} are now")
    versions = sorted(set(succeeded["model_version"].dropna()))
    return Replay(start, end, loaded, no_data, extracts, versions)


def replay_settings(settings: Settings, scratch: Scratch, model_path: Path, extracts: str) -> Settings:
    """The live settings, pointed at the scratch copy and the other model; nothing leaves the
    scratch folder (no export, reports and Data Docs inside it) and no run waits or upgrades.
    Staging tables (`mapping:` extracts) are read where the live runs read them."""
    return settings.model_copy(update={
        "source_url": settings.source_url or settings.warehouse_url, "warehouse_url": scratch.url,
        "warehouse_schema": scratch.schema, "warehouse_url_secret_block": None,
        "model_path": Path(model_path), "extracts_dir": extracts, "extracts_wait_seconds": 0, "export_to": None,
        "reports_dir": scratch.folder / "reports", "data_docs_dir": scratch.folder / "data_docs",
        "auto_upgrade": False, "fail_on_anomaly": False})


def replay(settings: Settings, start: date, end: date) -> list[RunSummary]:
    """Run the nightly stages of each date of the range on the scratch warehouse of `settings`."""
    model = load_model(settings.model_path)
    rules = load_fraud_rules(settings.fraud_rules_path)
    linking = assignment.load_dedupe_config(settings.dedupe_config_path)
    engine = open_run_warehouse(settings)

    def run(day: date) -> RunSummary:
        run_id, counts = score_date(engine, day, settings, model, rules, linking, publish=False)
        return RunSummary(run_id=run_id, run_date=day, status="succeeded", counts=counts)

    try:
        return run_range(settings, start, end, run, f"what-if replay {start} to {end}", missing="skip")
    finally:
        engine.dispose()


def read_side(settings: Settings, start: date, end: date) -> pd.DataFrame:
    """The rows of whatif_leads of a warehouse (live or scratch) over the range."""
    engine = open_live(settings.warehouse_url, settings.warehouse_schema)
    try:
        with engine.connect() as conn:
            return query(conn, "whatif_leads", {"start": start, "end": end})
    finally:
        engine.dispose()


def read_scores(settings: Settings, leads: list[str], start: date, end: date) -> pd.DataFrame:
    """Some leads' lead_scores rows of the range in a warehouse (live or scratch)."""
    engine = open_live(settings.warehouse_url, settings.warehouse_schema)
    try:
        with engine.connect() as conn:
            return query_in(conn, "whatif_scores", leads, {"start": start, "end": end})
    finally:
        engine.dispose()


def read_outcomes(settings: Settings) -> tuple[pd.DataFrame, str]:
    """Every sales outcome loaded in the live warehouse, and the latest loaded date."""
    engine = open_live(settings.warehouse_url, settings.warehouse_schema)
    try:
        with engine.connect() as conn:
            latest = query(conn, "model_latest_date")["run_date"].iloc[0]
            return query(conn, "model_outcomes", {"as_of": latest}), str(latest)[:10]
    finally:
        engine.dispose()


def whatif_name() -> str:
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    return f"what-if {parameters.get('start_date')}..{parameters.get('end_date')}"


@flow(name="mql-whatif", flow_run_name=whatif_name)
def whatif(start_date: date, end_date: date, model_path: str, extracts_dir: OrDefault[str] = None,
           examples: int = EXAMPLES, keep: bool = False) -> dict[str, Any]:
    """Replay the loaded dates from start to end with another scoring model into a scratch copy of the
    warehouse (MQL_WAREHOUSE_URL; the live tables are only read) and compare it with the live results.

    Args:
        start_date: The first date to replay.
        end_date: The last date to replay.
        model_path: The scoring model YAML file to replay with.
        extracts_dir: Where the dates' extracts are; empty: where their runs read them (the runs table).
        examples: How many gained and lost leads to list.
        keep: Keep the scratch copy (its URL and schema are in the result) instead of removing it.
    """
    started = time.perf_counter()
    settings = resolve_settings()
    plan = plan_replay(settings, start_date, end_date, Path(model_path), extracts_dir or None)
    with scratch_copy(settings.warehouse_url, settings.warehouse_schema, start_date, keep) as scratch:
        copied = time.perf_counter()
        other = replay_settings(settings, scratch, Path(model_path), plan.extracts)
        replay(other, start_date, end_date)
        replayed_at = time.perf_counter()
        outcomes, latest = read_outcomes(settings)
        live = report.lead_frame(read_side(settings, start_date, end_date), outcomes)
        replayed = report.lead_frame(read_side(other, start_date, end_date), outcomes)
        changed = report.changed_leads(live, replayed)
        scores = {"live": read_scores(settings, changed, start_date, end_date),
                  "whatif": read_scores(other, changed, start_date, end_date)}
    figures = report.compare(live, replayed, scores, start_date, end_date, examples)
    model = load_model(model_path)
    result = {
        "start": str(start_date), "end": str(end_date), "days": (end_date - start_date).days + 1,
        "live": {"model_versions": plan.live_versions},
        "whatif": {"model_version": model.version, "model_file": str(model_path)},
        "extracts": shown_location(plan.extracts),
        "replayed_dates": len(plan.loaded), "no_data_dates": [str(d) for d in plan.no_data],
        "outcomes_through": latest,
        **figures,
        "seconds": round(time.perf_counter() - started, 1),
        "copy_seconds": round(copied - started, 1), "replay_seconds": round(replayed_at - copied, 1),
    }
    if keep:
        result["scratch"] = {"url": shown(scratch.url), "schema": scratch.schema, "folder": str(scratch.folder)}
    return result
