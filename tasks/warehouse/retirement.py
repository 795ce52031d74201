"""Deleted source records and the leads they retire.

A loader flags a record the CRM deleted (`_fivetran_deleted`, `is_deleted`; tasks/intake/staging.py
keeps those records aside). Each record's deleted state is kept by run date (`source_record_states`:
a row when a record is flagged, and when a flagged record comes back live); a lead is retired on
the date none of its source records is live any more, and restored on the date one is live again
(a row of it survives screening that day, whichever record). `lead_retirements` holds one row
per record that retired or restored a lead: which record, which date, which table and flag.

A retired lead is left out of the run dates that follow until it is restored: it is not scored,
qualified or enrolled (activities and outcomes attributed to it are kept, uncounted), and its open
nurture enrollments exit on the date it is retired, with the reason `source_deleted`. Every read is
of the days before the run date and every row is written under the run date, so re-running a date
undoes and redoes its retirements exactly as the rest of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Connection

from tasks.identity.assignment import source_key
from tasks.intake.staging import DELETED_COLUMNS
from tasks.scoring.nurture import ENROLLMENT_COLUMNS
from tasks.warehouse.connection import query_joined

EXIT_REASON = "source_deleted"  # why a retired lead's open enrollments exit
STATE_COLUMNS = ("run_date", "source_system", "source_lead_id", "deleted", "source_table", "flag")
RETIREMENT_COLUMNS = ("run_date", "lead_id", "action", "source_system", "source_lead_id", "source_table", "flag")
RECORD = ["source_system", "source_lead_id"]


@dataclass(frozen=True)
class Retirement:
    """What a run date's deleted and live records do to their leads."""

    source_record_states: pd.DataFrame  # the date's rows of source_record_states (STATE_COLUMNS)
    lead_retirements: pd.DataFrame      # the date's rows of lead_retirements (RETIREMENT_COLUMNS)
    left_out: pd.Series                 # leads retired at the end of the date: not scored, qualified or enrolled
    enrollments: pd.DataFrame           # the open enrollments of the leads retired on the date, exited

    def active(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of `frame` (with lead_id) whose lead is not left out."""
        return frame[~frame["lead_id"].isin(self.left_out)]

    def counts(self) -> dict[str, int]:
        """The date's figures, as stored in run_counts (stage `retire`)."""
        states, actions = self.source_record_states["deleted"], self.lead_retirements
        return {"records_deleted": int(states.astype(bool).sum()), "records_live_again": int((~states.astype(bool)).sum()),
                "leads_retired": int(actions.loc[actions["action"] == "retired", "lead_id"].nunique()),
                "leads_restored": int(actions.loc[actions["action"] == "restored", "lead_id"].nunique()),
                "leads_left_out": len(self.left_out)}


def _flagged(values: pd.Series) -> pd.Series:
    """A deleted column as read back (true/false, 1/0, or None for a record never flagged)."""
    return values.map(lambda v: v is not None and v == v and bool(v)).astype(bool)


def _keys(frame: pd.DataFrame) -> pd.Series:
    return source_key(frame["source_system"], frame["source_lead_id"])


def decide(run_date: date, deleted: pd.DataFrame, live: pd.DataFrame, deleted_leads: pd.DataFrame,
           live_before: pd.DataFrame, lead_records: pd.DataFrame, retired_before: pd.Series,
           touched: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The date's record states, retirement rows, the leads retired on it and those left out.

    `deleted`: the records flagged deleted today (DELETED_COLUMNS); `live`: the day's surviving rows
    (source_system, source_lead_id, lead_id); `deleted_leads`: the lead of each deleted record known
    before today; `live_before`: the latest earlier state of the live records that have one;
    `lead_records`: every record known before today of the leads of `deleted_leads`, with its latest
    earlier state; `retired_before`: the leads retired at the end of the day before, among those the
    day touches (`touched`) and those of `deleted_leads`."""
    day = run_date.isoformat()
    live_keys = set(_keys(live))
    deleted = deleted[~_keys(deleted).isin(live_keys)].drop_duplicates(RECORD, ignore_index=True)
    came_back = live_before[_flagged(live_before["deleted"])].drop_duplicates(RECORD)
    states = pd.concat([
        deleted.assign(run_date=day, deleted=True),
        came_back[RECORD].assign(run_date=day, deleted=False, source_table=None, flag=None),
    ], ignore_index=True).reindex(columns=list(STATE_COLUMNS)).astype(object)
    states["deleted"] = states["deleted"].astype(bool)

    # After today: a record deleted today is deleted, a record live today is live, others as before.
    records = lead_records.assign(key=_keys(lead_records), deleted=_flagged(lead_records["deleted"]))
    records.loc[records["key"].isin(set(_keys(deleted))), "deleted"] = True
    records.loc[records["key"].isin(live_keys), "deleted"] = False
    none_live = records.groupby("lead_id")["deleted"].all()
    live_leads = set(live["lead_id"].dropna())
    retired = pd.Series(sorted(lead for lead, gone in none_live.items()
                               if gone and lead not in live_leads and lead not in set(retired_before)), dtype=object)
    restored = pd.Series(sorted(set(retired_before) & live_leads), dtype=object)

    by_lead = deleted.merge(deleted_leads[[*RECORD, "lead_id"]], on=RECORD)
    rows = pd.concat([
        by_lead[by_lead["lead_id"].isin(retired)].assign(action="retired"),
        live[live["lead_id"].isin(restored)][[*RECORD, "lead_id"]].drop_duplicates(RECORD)
        .assign(action="restored", source_table=None, flag=None),
    ], ignore_index=True).assign(run_date=day)
    rows = rows.reindex(columns=list(RETIREMENT_COLUMNS)).sort_values(["lead_id", "action", *RECORD], ignore_index=True)
    candidates = set(touched.dropna()) | set(deleted_leads["lead_id"])
    left_out = (set(retired_before) - set(restored)) & candidates | set(retired)
    return states, rows.astype(object), retired, pd.Series(sorted(left_out), dtype=object)


def exit_enrollments(open_enrollments: pd.DataFrame, run_date: date, at: pd.Timestamp) -> pd.DataFrame:
    """The open enrollments of retired leads, exited on `run_date` at `at` with EXIT_REASON."""
    return open_enrollments.assign(exited_run_date=run_date.isoformat(), exited_at=at,
                                   exit_reason=EXIT_REASON).reindex(columns=ENROLLMENT_COLUMNS)


def _ids(values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"lead_id": pd.unique(values.dropna().astype(str).to_numpy(dtype=object))})


def retire(conn: Connection, run_date: date, deleted: pd.DataFrame | None, live: pd.DataFrame,
           touched: pd.Series, end_of_day: pd.Timestamp) -> Retirement:
    """The date's Retirement: `deleted` (DELETED_COLUMNS, None for an extract without flags) and
    `live` (the day's surviving rows: source_system, source_lead_id, lead_id) against what the days
    before left; `touched`: the leads the day's rows, activities and outcomes name. Reads only
    those records and leads: the cost follows the day."""
    params = {"run_date": run_date}
    deleted = (deleted if deleted is not None else pd.DataFrame(columns=DELETED_COLUMNS)).astype(object)
    live = live[[*RECORD, "lead_id"]].dropna(subset=RECORD).astype({c: str for c in RECORD})
    deleted_leads = query_joined(conn, "lookup_identities", deleted[RECORD].astype(str), params)
    live_before = query_joined(conn, "record_states", live[RECORD].drop_duplicates(), params)
    lead_records = query_joined(conn, "lead_records", _ids(deleted_leads["lead_id"]), params)
    asked = _ids(pd.concat([touched, live["lead_id"], deleted_leads["lead_id"]], ignore_index=True))
    retired_before = query_joined(conn, "retired_leads", asked, params)["lead_id"]
    states, rows, retired, left_out = decide(run_date, deleted, live, deleted_leads, live_before, lead_records,
                                             retired_before, touched)
    open_enrollments = query_joined(conn, "open_enrollments", _ids(retired), params)
    return Retirement(source_record_states=states, lead_retirements=rows, left_out=left_out,
                      enrollments=exit_enrollments(open_enrollments, run_date, end_of_day))
