"""Nothing is lost: every input lead row is written, merged, rejected, quarantined or erased (dropped
as a person erased on request), exactly once."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from tasks.errors import ConservationError

if TYPE_CHECKING:
    from tasks.intake.extract import Extract
    from tasks.warehouse.state import DayResult

OUTCOMES = ("written", "merged", "rejected", "quarantined", "erased")


def stage_counts(run_date: date, extract: Extract, set_aside: pd.DataFrame, assigned: pd.DataFrame, activities: pd.DataFrame,
                 outcomes: pd.DataFrame, quarantined: pd.DataFrame, day: DayResult, contributions: int
                 ) -> dict[str, dict[str, int]]:
    """Rows in and out of every stage of a run date, as stored in `run_counts` (`contributions`: how
    many the day's scores hold)."""
    frames = extract.frames
    sizes = {name: 0 if frame is None else len(frame) for name, frame in frames.items()}
    dispositions = set_aside["disposition"].value_counts()
    placed = assigned["disposition"].value_counts()
    reasons = set_aside.loc[set_aside["disposition"] == "rejected", "reasons"].str.split(";").explode().value_counts()
    events = day.mql_events
    counts: dict[str, dict[str, int]] = {
        "extract": {f"{name}_in": n for name, n in sizes.items()},
        "validate": {
            "leads_quarantined": int(dispositions.get("quarantined", 0)),
            "activities_quarantined": int((quarantined["file"] == "activities").sum()),
            "outcomes_quarantined": int((quarantined["file"] == "outcomes").sum()),
        },
        "fraud": {"leads_rejected": int(dispositions.get("rejected", 0)),
                  "activities_bot": int(activities["bot_reason"].notna().sum()),
                  **{f"rejected:{reason}": int(n) for reason, n in reasons.items()}},
        "dedupe": {
            "leads_written": int(placed.get("written", 0)),
            "leads_merged": int(placed.get("merged", 0)),
            "new_leads": int((assigned["match_rule"] == "new").sum()),
            "activities_unattributed": int(activities["lead_id"].isna().sum()),
            "outcomes_unattributed": int(outcomes["lead_id"].isna().sum()),
        },
        "erasure": {
            "leads_erased": int(dispositions.get("erased", 0)),
            # Activities and outcomes of erased people are dropped before they are kept anywhere.
            "activities_erased": sizes.get("activities", 0) - len(activities)
            - int((quarantined["file"] == "activities").sum()),
            "outcomes_erased": sizes.get("outcomes", 0) - len(outcomes) - int((quarantined["file"] == "outcomes").sum()),
        },
        "score": {"leads_scored": len(day.lead_scores), "contributions": contributions},
        "qualify": {
            "transitions": len(events),
            "new_mqls": int((events["to_stage"] == "mql").sum()),
            **{f"to:{stage}": int(n) for stage, n in events["to_stage"].value_counts().items()},
        },
        "nurture": {
            "enrolled": int((day.nurture_enrollments["entered_run_date"] == run_date.isoformat()).sum()),
            "exited": int((day.nurture_enrollments["exited_run_date"] == run_date.isoformat()).sum()),
        },
    }
    if extract.counts:  # read from staging tables: each table's rows synced, left out as deleted or not mapped, read
        counts["source"] = {f"{table}:{metric}": n for table, metrics in extract.counts.items()
                            for metric, n in metrics.items()}
    counts["conservation"] = {
        "leads_in": sizes["leads"],
        "written": counts["dedupe"]["leads_written"],
        "merged": counts["dedupe"]["leads_merged"],
        "rejected": counts["fraud"]["leads_rejected"],
        "quarantined": counts["validate"]["leads_quarantined"],
        "erased": counts["erasure"]["leads_erased"],
    }
    return counts


def check_conservation(counts: dict[str, dict[str, int]], run_date: date) -> None:
    """Raise unless the outcomes add up to the lead rows that came in."""
    c = counts["conservation"]
    accounted = sum(c[name] for name in OUTCOMES)
    if accounted != c["leads_in"]:
        detail = ", ".join(f"{name} {c[name]}" for name in OUTCOMES)
        raise ConservationError(
            f"{run_date}: {c['leads_in']} lead rows came in but {accounted} are accounted for ({detail})"
        )
