"""Re-run chains: re-running a loaded date replaces it and every loaded date after it, as one whole.

Each date of a chain commits on its own (day D + 1 reads the state day D left), so the rows the
chain replaces are kept in saved_* tables until its last replaced date is re-run. A failure puts
every date back as it was (`roll_back`); so does the next run to take the lock after a crash
(`settle_interrupted`). A missing or broken extract of a date to be replaced is found before
anything is replaced (`check_extracts`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Connection

from tasks.errors import ExtractError
from tasks.warehouse.connection import execute, query, run_script


@dataclass(frozen=True)
class Chain:
    chain_id: str
    from_date: date
    through_date: date
    started_at: datetime


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _as_date(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def loaded_dates_from(conn: Connection, run_date: date) -> list[date]:
    """Run dates from `run_date` on whose results are loaded."""
    return [_as_date(d) for d in query(conn, "loaded_dates_from", {"run_date": run_date})["run_date"]]


def replaced_through(conn: Connection, first: date) -> date | None:
    """The last loaded date after `first` (running `first` replaces it and those before it), if any."""
    later = [d for d in loaded_dates_from(conn, first) if d > first]
    return later[-1] if later else None


def check_extracts(dates: list[date], extracts_dir: str | Path, expectations_dir: Path) -> None:
    """Read each date's extracts and check them against their suites' critical expectations (the
    row-level ones only quarantine rows); raise ExtractError naming the first that would fail."""
    from tasks.intake.extract import read_extract
    from tasks.intake.validate import critical_failures

    for run_date in dates:
        extract = read_extract(extracts_dir, run_date)
        for name, frame in extract.frames.items():
            if frame is None:
                continue
            critical = critical_failures(frame, name, run_date, expectations_dir)
            if critical:
                raise ExtractError(f"{run_date}: critical validation failure: {critical[0]}")


def open_chain(conn: Connection, first: date, through: date, started_by: str) -> Chain:
    """Record the chain and keep the rows it replaces (call inside a write transaction)."""
    chain = Chain(str(uuid.uuid4()), first, through, _now())
    run_script(conn, "chain_save", {"chain_id": chain.chain_id, "run_date": first, "through_date": through,
                                    "started_at": chain.started_at, "started_by": started_by})
    return chain


def close_chain(conn: Connection, chain: Chain) -> None:
    """The chain's last replaced date is re-run: the new state stands, the saved rows go."""
    run_script(conn, "chain_close", {"chain_id": chain.chain_id, "ended_at": _now()})


def rewind(conn: Connection, run_date: date) -> None:
    """Undo every run date from `run_date` on, leaving the warehouse as the day before left it:
    lead-to-lead merges first (their records, activities and outcomes back to the leads they had),
    then every row of those dates (sql/state/wipe_from_date.sql)."""
    params = {"run_date": run_date}
    run_script(conn, "unmove_records", params)
    run_script(conn, "follow_moves", params)
    run_script(conn, "wipe_from_date", params)


def apply_moves(conn: Connection, run_date: date) -> None:
    """Apply the lead-to-lead merges (lead_moves) from `run_date` on: their records to the leads that
    absorbed them, with their earlier activities and outcomes; the absorbed leads out of `leads`."""
    params = {"run_date": run_date}
    run_script(conn, "move_records", params)
    run_script(conn, "follow_moves", params)


def roll_back(conn: Connection, chain: Chain, error: str) -> None:
    """Put every date of the chain back as it was before the chain started."""
    rewind(conn, chain.from_date)
    run_script(conn, "chain_restore", {"chain_id": chain.chain_id, "run_date": chain.from_date,
                                       "started_at": chain.started_at, "ended_at": _now(), "error": error})
    apply_moves(conn, chain.from_date)


def settle_interrupted(conn: Connection, found_by: str) -> None:
    """What a dead holder of the lock left: its `running` runs become `crashed`, and an open
    chain is rolled back. Call with the lock held, inside a write transaction."""
    found_at = _now()
    note = f"found still open at {found_at:%Y-%m-%d %H:%M:%S} UTC by {found_by}: its process died"
    for row in query(conn, "open_chains").itertuples(index=False):
        chain = Chain(row.chain_id, _as_date(row.from_date), _as_date(row.through_date), row.started_at)
        roll_back(conn, chain, f"interrupted re-run chain {chain.from_date} to {chain.through_date} {note}; "
                               "every date put back as it was")
    execute(conn, "mark_crashed_runs", {"found_at": found_at, "error": f"crashed: run {note}"})
