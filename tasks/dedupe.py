"""Deduplication: exact matches on source id, normalised email and E.164 phone, within the day
and against the leads already in the warehouse; then one golden record per person."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.contract import LEAD_COLUMNS

LEAD_NAMESPACE = uuid.UUID("5d6c1f0e-8a51-4c38-9a43-3f1f6f0b7c2a")
SEP = "\x1f"  # joins source system and id into one key; cannot occur in extract text fields
# Key types in the order their match is trusted when a day's cluster points at several leads.
KEY_PRIORITY = ("source", "email", "phone")
# Attributes a golden record takes from its most recent non-empty source value.
PROFILE_COLUMNS = (
    "email", "email_key", "first_name", "last_name", "phone", "phone_e164", "company", "job_title",
    "industry", "employee_count", "annual_revenue", "country", "region", "city", "lead_source",
    "campaign", "utm_source", "utm_medium", "utm_campaign",
)


@dataclass(frozen=True)
class Assignment:
    rows: pd.DataFrame        # per surviving row: row_number, source_key, lead_id, match_rule, disposition
    identities: pd.DataFrame  # new lead_identities rows
    match_keys: pd.DataFrame  # new lead_match_keys rows


def source_key(system: pd.Series, lead_id: pd.Series) -> pd.Series:
    return system.astype(str) + SEP + lead_id.astype(str)


def new_lead_id(key: str) -> str:
    """A lead id derived from its founding source record, so re-runs give the same ids."""
    return str(uuid.uuid5(LEAD_NAMESPACE, key))


def row_keys(rows: pd.DataFrame) -> pd.DataFrame:
    """The match keys of each row: key_type, key_value, row_number."""
    parts = [
        pd.DataFrame({"key_type": "source", "key_value": source_key(rows["source_system"], rows["source_lead_id"]),
                      "row_number": rows["row_number"]}),
        pd.DataFrame({"key_type": "email", "key_value": rows["email_key"], "row_number": rows["row_number"]}),
        pd.DataFrame({"key_type": "phone", "key_value": rows["phone_e164"], "row_number": rows["row_number"]}),
    ]
    keys = pd.concat(parts, ignore_index=True)
    return keys[keys["key_value"].notna()].reset_index(drop=True)


def _clusters(keys: pd.DataFrame, row_numbers: np.ndarray) -> pd.Series:
    """Connected components of rows that share any key: row_number -> smallest row_number of its cluster."""
    parent = {int(r): int(r) for r in row_numbers}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, group in keys.groupby(["key_type", "key_value"], sort=False)["row_number"]:
        members = group.to_numpy()
        root = find(int(members[0]))
        for other in members[1:]:
            other_root = find(int(other))
            if other_root != root:
                low, high = sorted((root, other_root))
                parent[high] = low
                root = low
    return pd.Series({r: find(r) for r in parent}, name="cluster")


def assign_leads(rows: pd.DataFrame, known: pd.DataFrame, run_date: str) -> Assignment:
    """Assign each surviving lead row to a golden lead, existing or new.

    `rows`: normalised lead rows with `row_number`. `known`: warehouse keys matching the day's
    keys (key_type, key_value, lead_id), see `state.lookup_known`.
    """
    keys = row_keys(rows)
    cluster_of = _clusters(keys, rows["row_number"].to_numpy())
    keys["cluster"] = keys["row_number"].map(cluster_of)
    hits = keys.merge(known, on=["key_type", "key_value"], how="inner")
    hits["priority"] = hits["key_type"].map({k: i for i, k in enumerate(KEY_PRIORITY)})
    # Per cluster, the existing lead reached through the most trusted key (lowest lead id on ties).
    best = hits.sort_values(["cluster", "priority", "lead_id"]).drop_duplicates("cluster")
    target = best.set_index("cluster")[["lead_id", "key_type"]]

    out = rows[["row_number"]].copy()
    out["cluster"] = out["row_number"].map(cluster_of)
    out["source_key"] = source_key(rows["source_system"], rows["source_lead_id"]).to_numpy()
    # A record the warehouse already knows stays with its own lead.
    own = hits[hits["key_type"] == "source"].drop_duplicates("key_value").set_index("key_value")["lead_id"]
    out["own_lead"] = out["source_key"].map(own)
    founders = out.drop_duplicates("cluster").set_index("cluster")["source_key"].map(new_lead_id)
    matched = out["own_lead"].astype(object).where(out["own_lead"].notna(), out["cluster"].map(target["lead_id"]))
    fresh = matched.isna()
    out["lead_id"] = matched.where(~fresh, out["cluster"].map(founders)).astype(object)
    out["match_rule"] = np.select(
        [out["own_lead"].notna(), ~fresh, out["row_number"] == out["cluster"]],
        ["source_id", out["cluster"].map(target["key_type"]).fillna("same_day"), "new"],
        default="same_day",
    )
    out["disposition"] = np.where(out["match_rule"].isin(["source_id", "new"]), "written", "merged")

    identities = out[out["own_lead"].isna()].drop_duplicates("source_key")
    identities = pd.DataFrame({
        "source_system": identities["source_key"].str.split(SEP).str[0],
        "source_lead_id": identities["source_key"].str.split(SEP, n=1).str[1],
        "lead_id": identities["lead_id"],
        "run_date": run_date,
        "match_rule": identities["match_rule"],
    })
    new_keys = keys[keys["key_type"] != "source"].merge(out[["row_number", "lead_id"]], on="row_number")
    new_keys = new_keys[["key_type", "key_value", "lead_id"]].drop_duplicates()
    new_keys = new_keys.merge(known, on=["key_type", "key_value", "lead_id"], how="left", indicator=True)
    new_keys = new_keys[new_keys["_merge"] == "left_only"].drop(columns="_merge").assign(run_date=run_date)
    return Assignment(
        rows=out[["row_number", "source_key", "lead_id", "match_rule", "disposition"]].reset_index(drop=True),
        identities=identities.reset_index(drop=True), match_keys=new_keys.reset_index(drop=True),
    )


def attribute(frame: pd.DataFrame, known: pd.DataFrame, assigned: pd.DataFrame) -> pd.Series:
    """The lead each activity or outcome row belongs to, through its source record (None: unknown)."""
    sources = known[known["key_type"] == "source"]
    mapping = dict(zip(sources["key_value"], sources["lead_id"]))
    mapping.update(zip(assigned["source_key"], assigned["lead_id"]))
    keys = source_key(frame["source_system"], frame["source_lead_id"])
    return keys.map(mapping).astype(object).where(keys.map(mapping).notna(), None)


def golden_records(rows: pd.DataFrame, assigned: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """Survivorship: most recent non-empty value per attribute; the most restrictive consent wins."""
    incoming = rows.merge(assigned[["row_number", "lead_id"]], on="row_number")
    extra = [c for c in rows.columns if c not in LEAD_COLUMNS and c in _custom_columns(rows)]
    incoming = incoming.assign(
        custom=incoming[extra].apply(lambda r: {k: v for k, v in r.items() if isinstance(v, str)}, axis=1)
        if extra else [{} for _ in range(len(incoming))]
    )
    incoming = incoming.rename(columns={"created_ts": "created_at_ts", "updated_ts": "updated_at_ts"})
    history = None
    if len(existing):
        history = existing.rename(columns={
            "email_consent": "consent", "do_not_contact": "dnc",
            "created_at": "created_at_ts", "updated_at": "updated_at_ts",
        }).assign(custom=existing["custom_attributes"].map(json.loads))
        history = history[[c for c in history.columns if c in (*PROFILE_COLUMNS, "lead_id", "consent", "dnc",
                                                               "created_at_ts", "updated_at_ts", "custom")]]
    stacked = pd.concat([history, incoming], ignore_index=True) if history is not None else incoming
    stacked = stacked[stacked["lead_id"].isin(incoming["lead_id"])]
    # Existing profiles sort first: anything arriving today is more recent.
    stacked["_order"] = np.where(stacked.get("row_number").isna(), -1, stacked.get("row_number"))
    stacked = stacked.sort_values(["lead_id", "updated_at_ts", "_order"], kind="stable")
    grouped = stacked.groupby("lead_id", sort=True)
    golden = grouped[list(PROFILE_COLUMNS)].last()  # GroupBy.last skips missing values
    # The most restrictive explicit answer wins: any "no" to email, any do-not-contact.
    golden["email_consent"] = grouped["consent"].agg(lambda v: bool(v.notna().any() and v.dropna().astype(bool).all()))
    golden["do_not_contact"] = grouped["dnc"].agg(lambda v: bool(v.dropna().astype(bool).any()))
    golden["created_at"] = grouped["created_at_ts"].min()
    golden["updated_at"] = grouped["updated_at_ts"].max()
    golden["custom_attributes"] = grouped["custom"].agg(
        lambda dicts: json.dumps({k: v for d in dicts for k, v in d.items()}, sort_keys=True)
    )
    return golden.reset_index()


def _custom_columns(rows: pd.DataFrame) -> list[str]:
    """Extra extract columns: kept as custom attributes (pipeline-made columns are not extract columns)."""
    made = {"row_number", "email_key", "email_domain", "phone_e164", "created_ts", "updated_ts",
            "employee_count_num", "annual_revenue_num", "consent", "dnc"}
    return [c for c in rows.columns if c not in LEAD_COLUMNS and c not in made and not c.startswith("_")]
