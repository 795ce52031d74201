"""Splitting a day's per-lead inputs by lead."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from tasks.identity.assignment import Assignment
from tasks.warehouse.partitions import concat_parts, partition_of, split_by_lead


def test_a_lead_lands_in_the_same_partition_in_every_process():
    ids = pd.Series([f"L{i:06d}" for i in range(2000)])
    here = partition_of(ids, 3)
    assert set(here) == {0, 1, 2}
    assert min(pd.Series(here).value_counts()) > 600  # spread evenly
    code = ("import pandas as pd; from tasks.warehouse.partitions import partition_of; "
            "print(''.join(map(str, partition_of(pd.Series([f'L{i:06d}' for i in range(2000)]), 3))))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == "".join(map(str, here))
    assert (partition_of(ids, 1) == 0).all()


def test_each_row_activity_and_outcome_goes_with_its_lead():
    rows = pd.DataFrame({"row_number": [1, 2, 3, 4], "lead_id": ["a", "b", "a", "c"]})
    survivors = pd.DataFrame({"row_number": [4, 3, 2, 1], "email": ["c@x", "a2@x", "b@x", "a@x"]})
    activities = pd.DataFrame({"lead_id": ["a", None, "c", "b", "a"], "activity_id": ["1", "2", "3", "4", "5"]})
    outcomes = pd.DataFrame({"lead_id": ["c", None], "status": ["won", "lost"]})
    empty = pd.DataFrame()
    parts = split_by_lead(survivors, Assignment(rows, empty, empty, empty), activities, outcomes, 2)
    assert [p.label for p in parts] == ["1/2", "2/2"]
    for part in parts:
        leads = set(part.assigned.rows["lead_id"])
        assert set(part.activities["lead_id"]) <= leads and set(part.outcomes["lead_id"]) <= leads
        assert set(part.survivors["row_number"]) == set(part.assigned.rows["row_number"])
        assert part.holds(pd.Series(sorted(leads))).all()
    assert sorted(pd.concat([p.assigned.rows for p in parts])["row_number"]) == [1, 2, 3, 4]
    # Activities and outcomes of no lead are in no partition.
    assert sorted(pd.concat([p.activities for p in parts])["activity_id"]) == ["1", "3", "4", "5"]
    assert pd.concat([p.outcomes for p in parts])["status"].tolist() == ["won"]
    joined = concat_parts([pd.DataFrame({"lead_id": ["b", "d"]}), pd.DataFrame({"lead_id": ["a", "c"]})])
    assert joined["lead_id"].tolist() == ["a", "b", "c", "d"]
