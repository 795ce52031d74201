"""`mql` commands for operating a warehouse: status, review and release, unmerge, explain, erase, rekey, upgrade."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from flows.cli.common import (app, console, ExtractsOption, WarehouseOption, ModelOption, user_errors, parse_date,
                              warehouse_settings)
from flows.cli.running import print_summaries, run_dates
from tasks.errors import MqlError


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
def unmerge(by: Annotated[str, typer.Option(help="Who asks for it (kept in lead_splits).")],
            reason: Annotated[str, typer.Option(help="Why (kept in lead_splits).")],
            source_system: Annotated[str | None, typer.Option(help="Source system of the wrongly merged record.")]
            = None,
            source_lead_id: Annotated[str | None, typer.Option(help="Its id in the source system.")] = None,
            lead: Annotated[str | None, typer.Option(
                help="Instead of a record: a lead a lead-to-lead merge absorbed (mql explain names it).")] = None,
            extracts: ExtractsOption = None, warehouse: WarehouseOption = None, model: ModelOption = None,
            rerun: Annotated[bool, typer.Option(help="Re-run from the date of the merge now (default); "
                                                     "--no-rerun leaves it to the next run of that date.")] = True,
            ) -> None:
    """Split a record from the lead it was merged into (or an absorbed lead from the lead that
    absorbed it), for good; then re-run from the date of the merge, so both leads are rebuilt and
    scored from their own activity."""
    from tasks.screening.review import unmerge as record_split
    from tasks.screening.review import unmerge_lead

    if (lead is None) == (source_system is None or source_lead_id is None):
        raise MqlError("unmerge needs --source-system with --source-lead-id, or --lead")
    if lead is not None:
        done = _record(warehouse, unmerge_lead, lead, by, reason)
        console.print(f"split lead {lead}'s {done['moved']} record(s) from lead {done['lead_id']} "
                      f"({done['records']} other record(s)); merged on {done['merged_on']}", soft_wrap=True)
    else:
        done = _record(warehouse, record_split, source_system, source_lead_id, by, reason)
        console.print(f"split {source_system}/{source_lead_id} from lead {done['lead_id']} "
                      f"({done['records']} other record(s)); merged on {done['merged_on']}")
    if rerun:
        merged_on = date.fromisoformat(done["merged_on"])
        print_summaries(run_dates(merged_on, merged_on, extracts, warehouse, model, show_progress=False))
    else:
        console.print(f"re-run from {done['merged_on']} to apply it: mql run --date {done['merged_on']}")


identity = typer.Typer(help="Identity resolution: learn its weights from your own data.", no_args_is_help=True)
app.add_typer(identity, name="identity")


@identity.command("train")
@user_errors
def identity_train(out: Annotated[Path, typer.Option(help="The model file to write (YAML).")],
                   warehouse: WarehouseOption = None,
                   records: Annotated[Path | None, typer.Option(
                       help="Learn from this file of person records (CSV or Parquet) instead of the lead base.")] = None,
                   linkage: Annotated[Path | None, typer.Option(
                       help="With --records: the linkage configuration (blocking, comparisons) for its columns.")]
                   = None,
                   sample: Annotated[int, typer.Option(min=100, help="Records learned from, at most (drawn at random).")]
                   = 500_000,
                   seed: Annotated[int, typer.Option(help="Seed of the random pairs and the sample.")] = 1) -> None:
    """Learn linkage weights without labels (Fellegi-Sunter: u from random pairs, m by expectation
    maximisation over candidate pairs) and write them as a model file; set `linkage_model` in
    config/dedupe.yaml to that file and nightly runs use it. Prints what was learned, as JSON."""
    import json

    from tasks.identity.assignment import linkage_nodes, load_dedupe_config, stored_fields
    from tasks.identity.comparisons import LinkageConfig
    from tasks.identity.training import model_of, train, write_model
    from tasks.scoring.model import load_yaml_config

    if records is not None:
        if linkage is None:
            raise MqlError("--records needs --linkage: the configuration saying which columns to compare")
        config = load_yaml_config(linkage, LinkageConfig, "linkage configuration")
        frame = _person_records(records, config.columns())
        source = f"{records.name} ({len(frame)} records)"
    else:
        settings = warehouse_settings(warehouse)
        dedupe = load_dedupe_config(settings.dedupe_config_path)
        config = dedupe.linkage
        from tasks.warehouse.connection import query_warehouse

        (frame,) = query_warehouse(settings.warehouse_url, settings.warehouse_schema, "identity_training_records")
        if frame.empty:
            raise MqlError("the lead base is empty: nothing to learn from (run some dates first)")
        frame = linkage_nodes(stored_fields(frame, dedupe.declared))
        source = f"lead base ({len(frame)} records)"
    if len(frame) > sample:
        frame = frame.sample(sample, random_state=seed).reset_index(drop=True)
    trained = train(frame, config, seed=seed)
    model = model_of(trained, source)
    write_model(out, model)
    print(json.dumps({"model": str(out), "version": model.version, "threshold": model.linkage.threshold,
                      **model.trained_on}, indent=2))


def _person_records(path: Path, columns: list[str]) -> Any:
    """A file of person records with the compared columns as trimmed lower-case text (None: empty)."""
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str,
                                                                                       keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise MqlError(f"--records {path}: cannot read it ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MqlError(f"--records {path}: no column {missing[0]!r}, which the linkage configuration compares")
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        text = frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip().str.lower()
        out[column] = text.where(text != "", None)
    return out


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
def export(date_: Annotated[str, typer.Option("--date", help="Run date, YYYY-MM-DD.")],
           to: Annotated[str, typer.Option("--to", help="Folder or fsspec URL (s3://bucket/path, gs://, file://) "
                                                        "to write handoffs_<date>.<format> to.")],
           format_: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
           warehouse: WarehouseOption = None) -> None:
    """Write a date's hand-offs (new MQLs and stage moves, with scores and reasons) to a file for a
    CRM import or a reverse-ETL tool; re-exporting a date replaces its file. Each export is recorded
    in the table handoff_exports."""
    from flows.stages import export_stage
    from tasks.warehouse.connection import open_warehouse

    day = parse_date(date_, "--date")
    if format_ not in ("parquet", "csv"):
        raise MqlError(f"--format must be parquet or csv, not {format_!r}")
    settings = warehouse_settings(warehouse)
    engine = open_warehouse(settings.warehouse_url, settings.warehouse_schema)  # it records the export
    try:
        where = export_stage.fn(engine, day, settings.storage(to), format_, by="mql export")
    finally:
        engine.dispose()
    console.print(f"wrote the hand-offs of {day} to {where}")


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
    """Why a lead has its score, stage and nurture track: every rule's points, its transitions, and
    its retirements (every source record deleted) and restorations."""
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
    for note in (*found.merged, *found.absorbed):
        console.print(note, soft_wrap=True)
    s = found.score
    console.print(f"lead {found.lead_id} scored on {str(s['run_date'])[:10]} with model {s['model_version']}: "
                  f"fit {s['fit_score']:.1f} + engagement {s['engagement_score']:.1f} = total "
                  f"{s['total_score']:.1f}, grade {s['grade']}"
                  + (f", matrix cell {s['matrix_cell']}" if isinstance(s.get("matrix_cell"), str) else ""))
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
    for r in found.retirements.itertuples(index=False):
        record = f"{r.source_system}/{r.source_lead_id}"
        console.print(f"{r.action} on {str(r.run_date)[:10]}: "
                      + (f"{record} deleted in the source ({r.source_table}.{r.flag}), no record of the lead is live"
                         if r.action == "retired" else f"{record} is live again"))


def _text(value: Any) -> str:
    """A warehouse value as table text; missing values (None, NaN, NaT) as empty."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


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

    from flows.nightly import holding_warehouse, resolve_settings
    from flows.stages import warehouse_hashing
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
    from tasks.identity.assignment import load_dedupe_config
    from tasks.privacy.hash_keys import configured_key, key_file, rekey as rotate
    from tasks.identity.blocking import HashKey
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
