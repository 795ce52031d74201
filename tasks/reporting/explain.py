"""Why a lead has its score and stage on a date: its contributions, transitions, enrollments, and
its retirements (every source record deleted by its loader) and restorations."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
from sqlalchemy.engine import Connection

from tasks.errors import MqlError
from tasks.scoring.score import read_ledgers
from tasks.warehouse.connection import query, query_joined
from tasks.warehouse.state import merged_state, typed


@dataclass(frozen=True)
class Explanation:
    lead_id: str
    score: pd.Series             # run_date, fit_score, engagement_score, total_score, grade, model_version
    contributions: pd.DataFrame  # kind, rule, raw_points, decay_factor, decayed_value, points
    events: pd.DataFrame
    enrollments: pd.DataFrame
    retirements: pd.DataFrame    # run_date, action (retired | restored), source_system, source_lead_id, source_table, flag
    merged: tuple[str, ...] = ()  # where the lead named went, through lead-to-lead merges, in order
    absorbed: tuple[str, ...] = ()  # the leads it absorbed, and whose lifecycle the merged person kept


def _how_to_release(conn: Connection, system: str, source_id: str, disposition: str) -> str:
    """What lets a set-aside record through: a release (rejected), a corrected record (quarantined)."""
    released = query(conn, "find_release", {"source_system": system, "source_lead_id": source_id})
    if len(released):
        first = released.iloc[0]
        return f"released by {first['released_by']} at {first['released_at']}: the next run lets it through"
    if disposition == "rejected":
        return (f"to let it through, mql release --source-system {shlex.quote(system)} --source-lead-id "
                f"{shlex.quote(source_id)} --by <who> --note <why>")
    return ("a quarantined record cannot be released: correct it in the source system, and the next "
            "extract that carries it is validated again")


def explain(conn: Connection, lead: str, on: date) -> Explanation:
    """The explanation of `lead` (a lead id or `system/source_lead_id`) as of the end of `on`."""
    system, _, source_id = lead.partition("/")
    found = query(conn, "explain_resolve_lead", {"lead": lead, "source_system": system, "source_lead_id": source_id})
    absorbed = query(conn, "explain_absorbed", {"lead_id": lead}) if found.empty else pd.DataFrame()
    if len(absorbed) and str(absorbed["run_date"].iloc[0])[:10] <= on.isoformat():
        into = absorbed.iloc[0]
        bridge = (f": record {into['source_system']}/{into['source_lead_id']} matched its record "
                  f"{into['matched_source_system']}/{into['matched_source_lead_id']} ({into['rule']}, score "
                  f"{float(into['score']):g})" if isinstance(into["source_lead_id"], str) else "")
        later = explain(conn, str(into["to_lead_id"]), on)
        note = f"lead {lead} was merged into lead {into['to_lead_id']} on {str(into['run_date'])[:10]}{bridge}"
        return replace(later, merged=(note, *later.merged))
    if len(absorbed):  # as it was before the merge
        found = pd.DataFrame({"lead_id": [lead]})
    if found.empty:
        set_aside = query(conn, "explain_set_aside", {"source_system": system, "source_lead_id": source_id})
        if not set_aside.empty:
            raise MqlError(f"{lead} is no lead: " + "; ".join(
                f"{r.disposition} on {str(r.run_date)[:10]} ({r.reasons})" for r in set_aside.itertuples(index=False))
                + f" (mql review --date {str(set_aside['run_date'].iloc[-1])[:10]} lists it); "
                + _how_to_release(conn, system, source_id, str(set_aside["disposition"].iloc[-1])))
        raise MqlError(f"no lead {lead!r}: give a lead id or source_system/source_lead_id")
    lead_id = str(found["lead_id"].iloc[0])
    score = query(conn, "explain_score", {"lead_id": lead_id, "on": on})
    if score.empty:
        raise MqlError(f"lead {lead_id} was not scored on or before {on}")
    row = score.iloc[0]
    params = {"lead_id": lead_id, "run_date": row["run_date"], "on": on}
    contributions = read_ledgers(query(conn, "explain_contributions", params), []).sort_values(
        ["kind", "points", "rule"], ascending=[True, False, True], ignore_index=True)
    total = float(contributions["points"].sum())
    if abs(total - float(row["total_score"])) > 1e-6:
        raise MqlError(f"lead {lead_id}: contributions sum to {total}, the score is {row['total_score']}")
    return Explanation(lead_id=lead_id, score=row, contributions=contributions,
                       events=query(conn, "explain_events", params),
                       enrollments=query(conn, "explain_enrollments", params),
                       retirements=query(conn, "explain_retirements", params),
                       absorbed=_absorbed(conn, lead_id, on))


def _absorbed(conn: Connection, lead_id: str, on: date) -> tuple[str, ...]:
    """A line per lead the lead absorbed by `on`: when, and which lead's stage (and first MQL) the
    merged person kept, as the run of that date worked it out (state.merged_state)."""
    lines = []
    for move in query(conn, "explain_absorbed_leads", {"lead_id": lead_id, "on": on}).itertuples(index=False):
        day, other = str(move.run_date)[:10], str(move.from_lead_id)
        before = typed(query_joined(conn, "lead_state", pd.DataFrame({"lead_id": sorted([lead_id, other])}),
                                    {"run_date": date.fromisoformat(day)}))
        own = before.set_index("lead_id")
        line = f"lead {lead_id} absorbed lead {other} on {day}"
        kept = merged_state(before, pd.Series({other: lead_id}, dtype=object))
        if kept.empty or other not in own.index:
            lines.append(line)
            continue
        kept = kept.iloc[0]
        if kept["stage_from"] == other:
            line += (f": stage {kept['lifecycle_stage']} (since {kept['stage_changed_at']:%Y-%m-%d %H:%M} UTC) taken "
                     f"from lead {other}, over lead {lead_id}'s own {own.loc[lead_id, 'lifecycle_stage']}")
        else:
            line += (f" (at stage {own.loc[other, 'lifecycle_stage']}): lead {lead_id} kept its own stage "
                     f"{kept['lifecycle_stage']}")
        mine = own.loc[lead_id, "first_mql_at"]
        if pd.notna(kept["first_mql_at"]) and (pd.isna(mine) or kept["first_mql_at"] < mine):
            line += f"; first MQL at {kept['first_mql_at']:%Y-%m-%d %H:%M} UTC taken from lead {other}"
        lines.append(line)
    return tuple(lines)
