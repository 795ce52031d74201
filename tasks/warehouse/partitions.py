"""A day's per-lead work split by lead: each lead falls in one partition, the same in every process
and every run, and its surviving rows, activities and outcomes go with it."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TypeVar

import numpy as np
import pandas as pd

from tasks.identity.assignment import Assignment

T = TypeVar("T")


def partition_of(lead_ids: pd.Series, count: int) -> np.ndarray:
    """The partition (0 to count - 1) of each lead id: a fixed-key hash of its text, so the same
    lead lands in the same partition in any process."""
    if count == 1 or len(lead_ids) == 0:
        return np.zeros(len(lead_ids), dtype=np.int64)
    text = lead_ids.astype(str).to_numpy(dtype=object)
    return (pd.util.hash_array(text) % np.uint64(count)).astype(np.int64)


@dataclass(frozen=True)
class LeadPartition:
    """One partition of a run date's leads: the rows, activities and outcomes of its leads."""

    index: int
    count: int
    survivors: pd.DataFrame
    assigned: Assignment        # only `rows` is split; the other tables are the stages' after `leads`
    activities: pd.DataFrame
    outcomes: pd.DataFrame

    @property
    def label(self) -> str:
        return f"{self.index + 1}/{self.count}"

    def holds(self, lead_ids: pd.Series) -> np.ndarray:
        """Which of `lead_ids` are this partition's."""
        return partition_of(lead_ids, self.count) == self.index


def split_by_lead(survivors: pd.DataFrame, assigned: Assignment, activities: pd.DataFrame,
                  outcomes: pd.DataFrame, count: int) -> list[LeadPartition]:
    """The day's per-lead inputs in `count` partitions. Activities and outcomes of no lead (kept
    for the audit only) are in none: the per-lead stages leave them out anyway."""
    rows = assigned.rows
    row_part = partition_of(rows["lead_id"], count)
    part_of_row = pd.Series(row_part, index=rows["row_number"].to_numpy())
    survivor_part = survivors["row_number"].map(part_of_row).to_numpy()
    activity_part = np.where(activities["lead_id"].notna(), partition_of(activities["lead_id"], count), -1)
    outcome_part = np.where(outcomes["lead_id"].notna(), partition_of(outcomes["lead_id"], count), -1)
    empty = assigned.identities.iloc[:0], assigned.match_keys.iloc[:0], assigned.merges.iloc[:0]
    move_part = partition_of(assigned.moves["to_lead_id"], count)  # a lead absorbed goes with its survivor
    return [
        LeadPartition(
            index=i, count=count,
            survivors=survivors[survivor_part == i],
            assigned=replace(assigned, rows=rows[row_part == i], identities=empty[0], match_keys=empty[1],
                             merges=empty[2], moves=assigned.moves[move_part == i]),
            activities=activities[activity_part == i], outcomes=outcomes[outcome_part == i])
        for i in range(count)
    ]


def concat_parts(frames: list[pd.DataFrame], sort_by: str = "lead_id") -> pd.DataFrame:
    """One partition output per partition, as one frame in lead order (as one process gives it
    where its order is by lead)."""
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(sort_by, kind="stable", ignore_index=True) if sort_by in frame.columns else frame


def concat_dataclass(parts: list[T]) -> T:
    """Partition outputs of one kind (a dataclass of frames) as one, each frame in lead order."""
    return replace(parts[0], **{f.name: concat_parts([getattr(part, f.name) for part in parts])
                                for f in fields(parts[0])})
