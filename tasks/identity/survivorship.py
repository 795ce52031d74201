"""Survivorship: the golden record of each lead, each attribute chosen by its rule
(`config/dedupe.yaml`, `survivorship`), the most restrictive consent whatever the rules say."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pandas as pd

from tasks.intake.contract import custom_name
from tasks.scoring.model import Strict
from tasks.screening.normalize import per_distinct


PROFILE_COLUMNS = (
    "email", "email_key", "first_name", "last_name", "phone", "phone_e164", "company", "job_title",
    "industry", "employee_count", "annual_revenue", "country", "region", "city", "lead_source",
    "campaign", "utm_source", "utm_medium", "utm_campaign",
)
# What a source record is matched on (stored with it in lead_identities, see match_fields).
NAME_COLUMNS = ("first_name", "last_name")


class Survivorship(Strict):
    """Which value a golden record keeps: `most_recent` non-empty value, or the value from the
    highest-priority `source_priority` system that has one (the most recent among equals)."""

    default: Literal["most_recent", "source_priority"] = "most_recent"
    source_priority: list[str] = []
    columns: dict[str, Literal["most_recent", "source_priority"]] = {}


def golden_records(rows: pd.DataFrame, assigned: pd.DataFrame, existing: pd.DataFrame,
                   survivorship: Survivorship = Survivorship()) -> pd.DataFrame:
    """One profile per lead from its existing profile and the day's rows: each attribute by its
    survivorship rule (`provenance` records which source system each value came from); the
    most restrictive consent wins, whatever the rules say."""
    incoming = rows.merge(assigned[["row_number", "lead_id", "match_rule"]], on="row_number")
    extra = [c for c in rows.columns if custom_name(c) is not None]
    names = [custom_name(c) for c in extra]
    incoming = incoming.assign(custom=[
        {name: value for name, value in zip(names, values) if isinstance(value, str)}
        for values in zip(*(incoming[c].to_numpy(dtype=object) for c in extra))
    ] if extra else [{} for _ in range(len(incoming))])
    incoming = incoming.rename(columns={"created_ts": "created_at_ts", "updated_ts": "updated_at_ts"})
    sources = pd.DataFrame({f"_src_{c}": incoming["source_system"] for c in PROFILE_COLUMNS}, index=incoming.index)
    incoming = pd.concat([incoming, sources], axis=1)
    history = None
    if len(existing):
        history = existing.rename(columns={
            "email_consent": "consent", "do_not_contact": "dnc",
            "created_at": "created_at_ts", "updated_at": "updated_at_ts",
        }).assign(custom=per_distinct(existing["custom_attributes"], json.loads))
        history = history[[c for c in history.columns if c in (*PROFILE_COLUMNS, "lead_id", "consent", "dnc",
                                                               "created_at_ts", "updated_at_ts", "custom")]]
        # Each distinct provenance is read once: a few combinations of source systems recur.
        codes, distinct = pd.factorize(existing.get("provenance", pd.Series("{}", index=existing.index)).fillna("{}"))
        read = [json.loads(text) for text in distinct]
        history = pd.concat([history, pd.DataFrame(
            {f"_src_{c}": np.array([p.get(c) for p in read], dtype=object).reshape(len(read))[codes]
             for c in PROFILE_COLUMNS}, index=history.index)], axis=1)
    stacked = pd.concat([history, incoming], ignore_index=True) if history is not None else incoming
    stacked = stacked[stacked["lead_id"].isin(incoming["lead_id"])]
    # Existing profiles sort first: anything arriving today is more recent.
    stacked["_order"] = np.where(stacked.get("row_number").isna(), -1, stacked.get("row_number"))
    stacked = stacked.sort_values(["lead_id", "updated_at_ts", "_order"], kind="stable")
    for column in PROFILE_COLUMNS:  # where a value survives, so does its source
        stacked[f"_src_{column}"] = stacked[f"_src_{column}"].where(stacked[column].notna(), None)
    grouped = stacked.groupby("lead_id", sort=True)
    source_columns = [f"_src_{c}" for c in PROFILE_COLUMNS]
    golden = grouped[list(PROFILE_COLUMNS) + source_columns].last()  # GroupBy.last skips missing values
    rank = {system: i for i, system in enumerate(survivorship.source_priority)}
    # A name from a record linked by fuzzy evidence (a typo, a nickname, swapped names) only fills
    # a gap: "Rebecca Fitzgerald" does not become "Becky Fitzgerlad" because such a record came last.
    exact = ~stacked.get("match_rule", pd.Series(index=stacked.index, dtype=object)).eq("fuzzy")
    for column in PROFILE_COLUMNS:
        by_source = survivorship.columns.get(column, survivorship.default) == "source_priority"
        by_name = column in NAME_COLUMNS
        if not (by_source or by_name):
            continue
        source = stacked[f"_src_{column}"]
        ranked = stacked.assign(_exact=exact if by_name else True,
                                _rank=-source.map(rank).astype(float).fillna(len(rank)) if by_source else 0.0)
        ranked = ranked.sort_values(["lead_id", "_exact", "_rank", "updated_at_ts", "_order"], kind="stable")
        golden[[column, f"_src_{column}"]] = ranked.groupby("lead_id", sort=True)[[column, f"_src_{column}"]].last()
    # Written once per distinct combination of sources.
    combination = golden.groupby(source_columns, dropna=False, sort=False).ngroup().to_numpy()
    first = np.unique(combination, return_index=True)[1]
    written = np.array([
        json.dumps({c: v for c, v in zip(PROFILE_COLUMNS, values) if isinstance(v, str)}, sort_keys=True)
        for values in golden[source_columns].iloc[first].itertuples(index=False, name=None)
    ], dtype=object).reshape(len(first))
    golden["provenance"] = written[combination]
    golden = golden.drop(columns=source_columns)
    # The most restrictive explicit answer wins: any "no" to email, any do-not-contact.
    lead = stacked["lead_id"]
    answered = stacked["consent"].notna()
    golden["email_consent"] = (answered.groupby(lead).any()
                               & stacked["consent"].where(answered, True).astype(bool).groupby(lead).all())
    golden["do_not_contact"] = stacked["dnc"].where(stacked["dnc"].notna(), False).astype(bool).groupby(lead).any()
    golden["created_at"] = grouped["created_at_ts"].min()
    golden["updated_at"] = grouped["updated_at_ts"].max()
    custom: dict[str, dict] = {}
    for lead_id, attributes in zip(lead, stacked["custom"]):  # in order: later values win
        custom.setdefault(lead_id, {}).update(attributes)
    golden["custom_attributes"] = pd.Series({k: json.dumps(v, sort_keys=True) for k, v in custom.items()},
                                            dtype=object)
    return golden.reset_index()

