"""Review and recovery of the leads the fraud rules rejected: what a run set aside and why,
reviewers' releases (audited in `lead_releases`), and the warehouse facts the fraud rules use
(returning visitors, released records)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from tasks.errors import MqlError
from tasks.intake.contract import LEAD_COLUMNS
from tasks.intake.extract import Extract, with_custom_columns
from tasks.screening.fraud import RELEASED, RETURNING
from tasks.identity.blocking import HashKey, key_hashes
from tasks.warehouse.connection import execute, query, query_in, query_joined

SEP = "\x1f"  # joins (source_system, source_lead_id) into one key; never in an id


@dataclass(frozen=True)
class DayReview:
    """What a run date set aside: counts by disposition and reason, and the rows themselves."""

    by_reason: pd.DataFrame  # kind (leads / activities / outcomes), disposition, reason, rows, released
    rows: pd.DataFrame       # one row per set-aside row: kind, row_number, disposition, ids, email, reasons, released_by


def _source_keys(frame: pd.DataFrame) -> pd.Series:
    return frame["source_system"].astype(str) + SEP + frame["source_lead_id"].astype(str)


def mark_known(conn: Connection, candidates: pd.DataFrame, run_date: date, key: HashKey) -> pd.DataFrame:
    """The day's normalised lead rows with `RETURNING` (their email key or phone is a match key,
    under the warehouse's `key`, of a lead loaded before the run date) and `RELEASED` (a reviewer
    released the record)."""
    params = {"run_date": run_date}
    returning = np.zeros(len(candidates), dtype=bool)
    for key_type, column in (("email", "email_key"), ("phone", "phone_e164")):
        present = candidates[column].notna().to_numpy()
        hashes = key_hashes(key_type, candidates[column].to_numpy(dtype=object)[present], key=key)
        known = query_joined(conn, "lookup_match_keys", pd.DataFrame({"key_hash": np.sort(pd.unique(hashes))}), params)
        returning[present] |= np.isin(hashes, known["key_hash"].to_numpy(dtype=np.int64))
    released = query_in(conn, "released_records", candidates["source_lead_id"])
    released_keys = set(_source_keys(released)) if len(released) else set()
    return candidates.assign(**{
        RETURNING: returning,
        RELEASED: _source_keys(candidates).isin(released_keys).to_numpy(),
    })


def pending_releases(conn: Connection, run_date: date, day_leads: pd.DataFrame) -> pd.DataFrame:
    """Released rows the run date must load: rejected before it, never loaded since, and not
    sent again in the day's own file (that copy goes through, released)."""
    pending = query(conn, "pending_releases", {"run_date": run_date})
    if pending.empty:
        return pd.DataFrame(columns=list(day_leads.columns))
    if {"source_system", "source_lead_id"} <= set(day_leads.columns):
        pending = pending[~_source_keys(pending).isin(set(_source_keys(day_leads)))]
    rows = pd.DataFrame([json.loads(raw) for raw in pending["raw"]], dtype=object)
    return with_custom_columns(rows.where(rows.notna(), None), LEAD_COLUMNS)


RELEASED_ROW = "_released_row"  # marks the rows a run loads from lead_releases


def with_released_rows(extract: Extract, released: pd.DataFrame) -> Extract:
    """The extract with the released rows appended to its leads (marked `RELEASED_ROW`), so
    they are validated, screened, counted and written like the day's own rows."""
    if released.empty:
        return extract
    leads = pd.concat([extract.leads, released.assign(**{RELEASED_ROW: True})], ignore_index=True)
    leads = leads.astype(object).where(leads.notna(), None)
    return replace(extract, frames={**extract.frames, "leads": leads})


def released_rows_in(leads: pd.DataFrame) -> int:
    """How many of the leads are released rows loaded from lead_releases."""
    return int(leads[RELEASED_ROW].eq(True).sum()) if RELEASED_ROW in leads.columns else 0


def release(conn: Connection, source_system: str, source_lead_id: str, released_by: str, note: str,
            released_at: datetime) -> dict[str, str]:
    """Record a reviewer's release of a rejected lead; the next run lets it through."""
    if not released_by.strip() or not note.strip():
        raise MqlError("a release needs who (--by) and why (--note)")
    ids = {"source_system": source_system, "source_lead_id": source_lead_id}
    earlier = query(conn, "find_release", ids)
    if len(earlier):
        first = earlier.iloc[0]
        raise MqlError(f"{source_system}/{source_lead_id} was already released by {first['released_by']} "
                       f"at {first['released_at']}")
    rejected = query(conn, "find_rejected", ids)
    if rejected.empty:
        raise MqlError(f"no rejected lead {source_system}/{source_lead_id} in the warehouse "
                       "(quarantined rows fail validation and cannot be released)")
    latest = rejected.iloc[0]
    row = {**ids, "rejected_run_date": str(latest["run_date"])[:10], "reasons": str(latest["reasons"]),
           "raw": str(latest["raw"]), "released_by": released_by.strip(), "released_at": released_at,
           "note": note.strip()}
    execute(conn, "insert_release", row)
    return {k: str(v) for k, v in row.items() if k != "raw"}


def unmerge(conn: Connection, source_system: str, source_lead_id: str, requested_by: str, reason: str,
            split_at: datetime) -> dict[str, str]:
    """Split a source record from the lead it was merged into: it and each other record of that
    lead are kept apart from now on (lead_splits). Returns the lead and the run date the merge
    was first made, from which the dates must be re-run for both leads to be recomputed."""
    if not requested_by.strip() or not reason.strip():
        raise MqlError("an unmerge needs who (--by) and why (--reason)")
    ids = {"source_system": source_system, "source_lead_id": source_lead_id}
    record = query(conn, "unmerge_record", ids)
    if record.empty:
        raise MqlError(f"no loaded record {source_system}/{source_lead_id} in the warehouse")
    lead_id, seen = str(record["lead_id"].iloc[0]), str(record["run_date"].iloc[0])[:10]
    others = query(conn, "unmerge_others", {**ids, "lead_id": lead_id})
    if others.empty:
        raise MqlError(f"{source_system}/{source_lead_id} is the only record of lead {lead_id}: nothing to unmerge")
    for other in others.itertuples(index=False):
        execute(conn, "insert_split", {**ids, "other_source_system": other.source_system,
                                       "other_source_lead_id": other.source_lead_id, "lead_id": lead_id,
                                       "split_at": split_at, "requested_by": requested_by.strip(),
                                       "reason": reason.strip()})
    # The record met the lead on the later of its own first date and the lead's first other record's.
    merged_on = max(seen, min(str(d)[:10] for d in others["run_date"]))
    return {"lead_id": lead_id, "merged_on": merged_on, "records": str(len(others))}


def unmerge_lead(conn: Connection, lead_id: str, requested_by: str, reason: str, split_at: datetime
                 ) -> dict[str, str]:
    """Undo a lead-to-lead merge: every record the absorbed lead `lead_id` had is kept apart from
    every other record of the lead that absorbed it (lead_splits), so the two never merge again.
    Returns that lead and the date of the merge, from which the dates must be re-run for both
    leads to be rebuilt from their own records and activity."""
    if not requested_by.strip() or not reason.strip():
        raise MqlError("an unmerge needs who (--by) and why (--reason)")
    moved = query(conn, "unmerge_moves", {"lead_id": lead_id})
    if moved.empty:
        raise MqlError(f"lead {lead_id} was absorbed by no lead-to-lead merge: nothing to unmerge "
                       "(to split one record, give --source-system and --source-lead-id)")
    merged_on = str(moved["run_date"].iloc[0])[:10]
    moved = moved[moved["run_date"].map(lambda d: str(d)[:10]) == merged_on]
    first = moved.iloc[0]
    holder = query(conn, "unmerge_record", {"source_system": first["source_system"],
                                            "source_lead_id": first["source_lead_id"]})
    into = str(holder["lead_id"].iloc[0])
    mine = set(zip(moved["source_system"], moved["source_lead_id"]))
    others = [r for r in query(conn, "unmerge_lead_records", {"lead_id": into}).itertuples(index=False)
              if (r.source_system, r.source_lead_id) not in mine]
    for system, record in sorted(mine):
        for other in others:
            execute(conn, "insert_split", {"source_system": system, "source_lead_id": record,
                                           "other_source_system": other.source_system,
                                           "other_source_lead_id": other.source_lead_id, "lead_id": into,
                                           "split_at": split_at, "requested_by": requested_by.strip(),
                                           "reason": reason.strip()})
    return {"lead_id": into, "merged_on": merged_on, "records": str(len(others)), "moved": str(len(mine))}


def mask_email(email: object) -> str:
    """"maria.garcia@acme.com" -> "m***@acme.com": enough to recognise, not to harvest."""
    if not isinstance(email, str) or "@" not in email:
        return ""
    local, _, domain = email.strip().rpartition("@")
    return f"{local[:1]}***@{domain[:80]}"


def review_day(conn: Connection, run_date: date) -> DayReview:
    """The run date's rejected and quarantined rows, by reason."""
    leads = query(conn, "review_leads", {"run_date": run_date})
    others = query(conn, "review_rows", {"run_date": run_date})
    raw = [json.loads(text) if isinstance(text, str) else {} for text in leads["raw"]]
    lead_rows = pd.DataFrame({
        "kind": "leads",
        "row_number": leads["row_number"].astype("int64"),
        "disposition": leads["disposition"],
        "source_system": leads["source_system"],
        "source_lead_id": leads["source_lead_id"],
        "email": [mask_email(r.get("email")) for r in raw],
        "reasons": leads["reasons"],
        "released_by": leads["released_by"],
    })
    other_rows = pd.DataFrame({
        "kind": others["file"],
        "row_number": others["row_number"].astype("int64"),
        "disposition": "quarantined",
        "source_system": [json.loads(r).get("source_system") for r in others["raw"]],
        "source_lead_id": [json.loads(r).get("source_lead_id") for r in others["raw"]],
        "email": "",
        "reasons": others["reasons"],
        "released_by": None,
    })
    rows = pd.concat([lead_rows, other_rows], ignore_index=True)
    # Fraud codes are ";"-joined, validation failures "; "-joined.
    exploded = rows.assign(reason=rows["reasons"].str.split(r";\s*", regex=True)).explode("reason")
    by_reason = (exploded.assign(released=exploded["released_by"].notna())
                 .groupby(["kind", "disposition", "reason"], sort=True)
                 .agg(rows=("row_number", "size"), released=("released", "sum")).reset_index()
                 .sort_values(["kind", "disposition", "rows"], ascending=[True, True, False], ignore_index=True))
    by_reason["released"] = by_reason["released"].astype("int64")
    return DayReview(by_reason=by_reason, rows=rows)
