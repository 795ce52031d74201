"""Identity resolution: each surviving lead row is linked to a golden lead, existing or new.

Exact keys (source record, email, phone) and fuzzy candidates (name with company or email
domain) are found through blocking keys, within the day and against every lead in the
warehouse through the indexed `lead_match_keys` (hashed keys); each candidate pair is scored by the
evidence in `config/dedupe.yaml` (tasks/identity/comparisons.py), and clusters grow from the strongest link
down. A role mailbox or a shared switchboard number alone never links two people; a cluster
joins two existing leads only through a record of the day linked to both (`lead_bridges`), the
older lead absorbing the other (`lead_moves`); `lead_splits` (written by `mql unmerge`) keep
records apart. Every link is written to `lead_merges` with its evidence.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from tasks.identity.survivorship import PROFILE_COLUMNS, Survivorship
from tasks.errors import ConfigError
from tasks.screening.fraud import DEFAULT_ROLE_LOCAL_PARTS, local_key
from tasks.identity.blocking import (UNKEYED, HashKey, block_keys, block_sizes, collect_pairs, pair_codes,
                                     pairs_within, run_offsets)
from tasks.identity.clustering import Clusters, cluster
from tasks.identity.comparisons import MAX_COMPARED, ChunkPool, LinkageConfig, Scorer, conflict_check, find_links
from tasks.identity.declared import MatchColumn, declared_fields, read_extra, stored_extra
from tasks.scoring.model import Strict, load_yaml_config
from tasks.screening.normalize import company_key, name_key, per_distinct

LEAD_NAMESPACE = uuid.UUID("5d6c1f0e-8a51-4c38-9a43-3f1f6f0b7c2a")
_NAMESPACE_BYTES = LEAD_NAMESPACE.bytes
SEP = "\x1f"  # joins source system and id into one key; cannot occur in extract text fields
# Attributes a golden record takes by survivorship (most recent non-empty value by default).
MATCH_COLUMNS = ("first_key", "last_key", "company_key", "city_key", "country_key", "match_email",
                 "corporate_domain", "phone_e164")
# What identity resolution reads of a lead row.
INPUT_COLUMNS = ("row_number", "source_system", "source_lead_id", "email_key", "first_name", "last_name",
                 "company", "city", "country", "phone_e164")
MERGE_COLUMNS = ["run_date", "lead_id", "source_system", "source_lead_id", "matched_source_system",
                 "matched_source_lead_id", "matched_lead_id", "rule", "score", "keys", "evidence"]
MOVE_COLUMNS = ["run_date", "source_system", "source_lead_id", "from_lead_id", "to_lead_id"]
FORCED = float("inf")  # the score of a link by source record id: always taken first


class DedupeConfig(Strict):
    linkage: LinkageConfig
    role_local_parts: frozenset[str] = DEFAULT_ROLE_LOCAL_PARTS
    free_mail_domains: frozenset[str] = frozenset()
    survivorship: Survivorship = Survivorship()
    version: str = Field("dedupe", min_length=1)
    # Database connections and scoring threads the stage runs side by side (the machine's cores).
    workers: int = Field(2, ge=1)
    # A model file of `mql identity train` (relative to this file): its linkage, learned from the
    # lead base, replaces `linkage` above.
    linkage_model: str | None = None
    # Whether a record of the day linked to two existing leads merges them (the older absorbs the
    # other); false: existing leads are never merged by a run.
    merge_leads: bool = True
    # Columns compared and blocked on beyond MATCH_COLUMNS: name -> a contract column or custom
    # attribute and how it is normalised (tasks/identity/declared.py; stored in lead_identities.match_extra).
    match_columns: dict[str, MatchColumn] = {}

    @property
    def declared(self) -> list[str]:
        return list(self.match_columns)


def load_dedupe_config(path: Path) -> DedupeConfig:
    from tasks.identity.training import load_linkage_model

    config = load_yaml_config(path, DedupeConfig, "dedupe configuration")
    if config.linkage_model:
        model = load_linkage_model(Path(path).parent / config.linkage_model)
        config = config.model_copy(update={"linkage": model.linkage, "version": f"{config.version}+{model.version}"})
    unknown = [c for c in config.survivorship.columns if c not in PROFILE_COLUMNS]
    if unknown:
        raise ConfigError(f"{path}: survivorship.columns: {unknown[0]!r} is not a lead profile column")
    taken = [name for name in config.match_columns if name in (*MATCH_COLUMNS, "work_email")]
    if taken:
        raise ConfigError(f"{path}: match_columns: {taken[0]!r} is a built-in match field; name it otherwise")
    known = {*MATCH_COLUMNS, "work_email", *config.match_columns}
    undeclared = [c for c in config.linkage.columns() if c not in known]
    if undeclared:
        raise ConfigError(f"{path}: the linkage compares or blocks on {undeclared[0]!r}, which is neither a match "
                          "field nor declared under match_columns")
    return config


def _empty(**dtypes: str) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


@dataclass(frozen=True)
class Known:
    """What the warehouse knew, before the run date, about the day's records (state.Lookup)."""

    # key_hash, lead_id: golden leads holding one of the day's match keys (see row_keys)
    keys: pd.DataFrame = field(default_factory=lambda: _empty(key_hash="int64", lead_id=object))
    # source_key, lead_id: the day's source records (and those its activities name) already known
    sources: pd.DataFrame = field(default_factory=lambda: _empty(source_key=object, lead_id=object))
    # the source records of those leads with what they are matched on (lead_identities rows)
    candidates: pd.DataFrame | None = None
    # source_key, other_key, lead_id, other_lead_id: records `mql unmerge` kept apart
    splits: pd.DataFrame | None = None


@dataclass(frozen=True)
class Assignment:
    rows: pd.DataFrame        # per surviving row: row_number, source_key, lead_id, match_rule, disposition
    identities: pd.DataFrame  # new lead_identities rows
    match_keys: pd.DataFrame  # new lead_match_keys rows
    merges: pd.DataFrame      # lead_merges rows: each link and its evidence
    # lead_moves rows: the records of existing leads absorbed today into an older one
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MOVE_COLUMNS))

    @property
    def absorbed(self) -> pd.Series:
        """Each lead absorbed today (index) and the lead that absorbed it."""
        pairs = self.moves.drop_duplicates("from_lead_id")
        return pd.Series(pairs["to_lead_id"].to_numpy(dtype=object), index=pairs["from_lead_id"].to_numpy(dtype=object),
                         dtype=object)


def source_key(system: pd.Series, lead_id: pd.Series) -> pd.Series:
    joined = system.astype(str) + SEP + lead_id.astype(str)
    return pd.Series(joined.to_numpy(dtype=object), index=system.index, dtype=object)


def _text(column: pd.Series) -> np.ndarray:
    """A column's values as Python text: the objects themselves when they are text already
    (converting would make a new object for each of a million values)."""
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return column.to_numpy(dtype=object)
    return column.astype(str).to_numpy(dtype=object)


def new_lead_ids(keys: np.ndarray | list[str]) -> np.ndarray:
    """Lead ids derived from their founding source records, so re-runs give the same ids:
    uuid5 in LEAD_NAMESPACE, with the version bits and the text made for all keys at once."""
    digests = b"".join([hashlib.sha1(_NAMESPACE_BYTES + key.encode("utf-8", "surrogatepass")).digest()[:16]
                        for key in keys])
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = raw[:, 6] & 0x0F | 0x50  # version 5
    raw[:, 8] = raw[:, 8] & 0x3F | 0x80  # RFC 4122 variant
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[np.stack([raw >> 4, raw & 0x0F], axis=2)]
    digits = digits.reshape(-1, 32)
    text = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGITS] = digits
    joined = text.tobytes().decode("ascii")
    return np.array([joined[i:i + 36] for i in range(0, len(joined), 36)], dtype=object)


def new_lead_id(key: str) -> str:
    return new_lead_ids([key])[0]


_UUID_DIGITS = [i for i in range(36) if i not in (8, 13, 18, 23)]  # where a uuid's text has no dash


def match_fields(frame: pd.DataFrame, config: DedupeConfig) -> pd.DataFrame:
    """The values records are blocked and compared on, from lead rows or golden profiles:
    folded names, company without legal form, email key unless a role mailbox, the email's
    domain unless free mail, E.164 phone, city and country."""
    email = frame["email_key"].astype(object).where(frame["email_key"].notna(), None)
    email = email.where(~(email.str.len() > MAX_COMPARED), None)  # no real address is longer
    # Per distinct address at once: a role mailbox's domain, else the address with its domain.
    parts = per_distinct(email, lambda key: (local_key(key.rpartition("@")[0]) in config.role_local_parts,
                                            key.rpartition("@")[2] or None)).to_numpy(dtype=object)
    role = pd.Series([p is not None and p[0] for p in parts], index=email.index, dtype=bool)
    domain = pd.Series([p[1] if p is not None else None for p in parts], index=email.index, dtype=object)
    domain = per_distinct(domain, lambda name: name)  # one object per distinct domain, not one per address
    country = frame["country"].astype(object)
    return pd.DataFrame({
        "first_key": per_distinct(frame["first_name"], name_key),
        "last_key": per_distinct(frame["last_name"], name_key),
        "company_key": per_distinct(frame["company"], company_key),
        "city_key": per_distinct(frame["city"], name_key),
        "country_key": per_distinct(country, lambda c: c.strip().upper() or None),
        "match_email": email.where(~role & email.notna(), None),
        "corporate_domain": domain.where(~domain.isin(config.free_mail_domains) & domain.notna(), None),
        "phone_e164": frame["phone_e164"].astype(object).where(frame["phone_e164"].notna(), None),
    }, index=frame.index).join(declared_fields(frame, config.match_columns))


def linkage_nodes(fields: pd.DataFrame) -> pd.DataFrame:
    """Records' match fields as the comparisons read them: with `work_email`, the address where
    its domain is a company's (a work address is one per person at a company: two different ones
    there are two people)."""
    fields["work_email"] = fields["match_email"].where(fields["corporate_domain"].notna(), None)
    return fields


def row_keys(rows: pd.DataFrame, config: DedupeConfig, fields: pd.DataFrame | None = None, *, key: HashKey
             ) -> pd.DataFrame:
    """The match keys of each row: key_type, key_hash (blocking.key_hashes under the warehouse's
    `key`), row_number."""
    fields = match_fields(rows, config) if fields is None else fields
    keys = block_keys(fields, config.linkage, key)
    keys["row_number"] = rows["row_number"].to_numpy()[keys["node"].to_numpy()]
    return keys.drop(columns="node")


def assign_leads(rows: pd.DataFrame, known: Known, run_date: str, config: DedupeConfig,
                 fields: pd.DataFrame | None = None, keys: pd.DataFrame | None = None, key: HashKey = UNKEYED,
                 pool: ChunkPool | None = None) -> Assignment:
    """Link each surviving lead row to a golden lead, existing or new.

    `rows`: normalised lead rows with `row_number`. `known`: what the warehouse knows of the
    day's keys and records (`state.Lookup`). A record is compared with each candidate
    record of a lead, so a lead that was "Elizabeth" and then "Liz" still matches "Beth".
    `fields`, `keys`: the rows' `match_fields` and `row_keys`, when the caller has them already
    (else the keys are made under `key`, which must be the one `known.keys` were stored under).
    The candidate pairs are scored in `pool` when given (a Dask cluster, see find_links).
    """
    linkage = config.linkage
    rows = rows.reset_index(drop=True)
    n = len(rows)
    fields = match_fields(rows, config) if fields is None else fields.reset_index(drop=True)
    keys = row_keys(rows, config, fields, key=key) if keys is None else keys
    src = source_key(rows["source_system"], rows["source_lead_id"])
    hits = known.keys[~pd.Series(pair_codes(known.keys["key_hash"], known.keys["lead_id"])).duplicated().to_numpy()]
    records = _candidate_records(known.candidates, pd.concat([hits["lead_id"], known.sources["lead_id"]]),
                                 config.declared)
    nodes = linkage_nodes(pd.concat([fields, records[[*MATCH_COLUMNS, *config.declared]]], ignore_index=True))
    records = records[["lead_id", "source_system", "source_lead_id", *(["run_date"] if "run_date" in records else [])]]
    # Records come in lead order (_candidate_records): a lead's records are one run of nodes.
    record_lead = records["lead_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, record_lead[1:] != record_lead[:-1]]) if len(records) else np.empty(0, int)
    counts = np.diff(np.r_[starts, len(records)])
    lead_ids = pd.Index(record_lead[starts])
    label = np.full(len(nodes), -1, dtype=np.int64)  # per node: index of its existing lead in lead_ids
    label[n:] = np.repeat(np.arange(len(starts)), counts)
    node_of_row = pd.Series(np.arange(n), index=rows["row_number"].to_numpy())

    # Links that are given: the records of one existing lead; a record the warehouse knows and
    # its lead; the same record twice in a day.
    forced = [pd.DataFrame({"left": n + starts[label[n:]], "right": np.arange(n, len(nodes)), "keys": "lead"})]
    own = known.sources.drop_duplicates("source_key").set_index("source_key")["lead_id"]
    own_lead = src.map(own)
    again = np.flatnonzero(own_lead.notna().to_numpy())  # rows whose record the warehouse knows
    mine = lead_ids.get_indexer(own_lead.to_numpy(dtype=object)[again])
    forced.append(pd.DataFrame({"left": again[mine >= 0], "right": n + starts[mine[mine >= 0]], "keys": "source"}))
    source_code = pd.factorize(src.to_numpy(dtype=object))[0]  # numbered in order of first appearance
    first_of_source = np.flatnonzero(~pd.Series(source_code).duplicated().to_numpy())[source_code]
    repeat = np.flatnonzero(first_of_source != np.arange(n))
    forced.append(pd.DataFrame({"left": first_of_source[repeat], "right": repeat, "keys": "source"}))
    forced = pd.concat(forced, ignore_index=True).astype({"left": "int64", "right": "int64"})
    forced = forced[forced["left"] != forced["right"]]

    # Exact and fuzzy candidates: within the day, and against each record of the leads that
    # hold one of the day's keys.
    day_keys = keys.assign(node=node_of_row.reindex(keys["row_number"]).to_numpy())
    within = pairs_within(day_keys[["key_type", "key_hash", "node"]], linkage.max_block)
    # Keys by number (`key_values`: the day's distinct keys); the warehouse's hits by key number
    # and lead (index in lead_ids; -1: a lead whose records were not fetched).
    key_code, key_values = pd.factorize(keys["key_hash"].to_numpy(dtype=np.int64))
    hits = pd.DataFrame({"key": pd.Index(key_values).get_indexer(hits["key_hash"].to_numpy(dtype=np.int64)),
                         "lead": lead_ids.get_indexer(hits["lead_id"].to_numpy(dtype=object))})
    usable = hits[(block_sizes(hits["key"]) <= linkage.max_block) & (hits["lead"].to_numpy() >= 0)
                  & (hits["key"].to_numpy() >= 0)]
    # Each day's key against each usable hit of it, then each (record of the day, lead) pair
    # becomes one pair per record of that lead.
    per_key = np.bincount(usable["key"], minlength=len(key_values))
    by_key = np.argsort(usable["key"].to_numpy(), kind="stable")
    found = per_key[key_code]
    hit = by_key[np.repeat(np.cumsum(per_key)[key_code] - found, found) + run_offsets(found)]
    lead = usable["lead"].to_numpy()[hit]
    many = counts[lead]
    which = np.repeat(np.repeat(np.arange(len(keys)), found), many)  # the day's key behind each pair
    across = collect_pairs(pd.DataFrame({
        "left": day_keys["node"].to_numpy()[which], "right": n + np.repeat(starts[lead], many) + run_offsets(many),
        "key_type": pd.Categorical(keys["key_type"]).take(which)}))
    pairs = pd.concat([within, across], ignore_index=True)
    del within, across, which, hit, lead, many, day_keys, found, by_key, per_key
    scorer = Scorer(linkage)
    linked = pd.unique(np.concatenate([pairs[["left", "right"]].to_numpy(dtype=np.int64).ravel(),
                                       forced[["left", "right"]].to_numpy(dtype=np.int64).ravel()]))
    coded = scorer.code(nodes, linked)  # only records that a link can reach are ever compared
    size = len(nodes)
    del nodes, linked  # memory: the codes say all that is compared from here on
    links = pd.concat([forced.assign(score=FORCED), find_links(coded, pairs, scorer, threads=config.workers, pool=pool)],
                      ignore_index=True)
    del pairs, forced

    apart = _apart(known.splits, src, records)
    # A record split from a lead must not join it again, even through a single link.
    if apart:
        kept = [(min(a, b), max(a, b)) not in apart for a, b in zip(links["left"], links["right"])]
        links = links[np.asarray(kept, dtype=bool)]
    bridges = lead_bridges(links, n, label) if config.merge_leads else None
    clusters = cluster(size, links, conflict_check(coded, scorer, apart), linkage.max_cluster, label, bridges)
    del coded, links
    return _assignment(rows, src, own_lead, clusters, records, label, n, run_date, hits, keys, key_code,
                       fields, linkage, config.declared)


def lead_bridges(links: pd.DataFrame, n: int, label: np.ndarray):
    """`cluster`'s test of a link that would join clusters holding different existing leads: it
    may when it links a record of the day (node < n) to a record of an existing lead, and that
    record of the day is itself linked, above the threshold or by its source id, to a record of
    every one of those leads. So a day's record proves two leads one person; a chain of the day's
    records (one matching each lead) does not."""
    direct: dict[int, set[int]] = {}

    def bridges(left: int, right: int, leads: frozenset[int]) -> bool:
        day, other = (left, right) if left < n else (right, left)
        if day >= n or other < n:
            return False
        if not direct:  # worked out once, on the first call (rarely made)
            one = links[(links["left"] < n) != (links["right"] < n)]
            lo, hi = one[["left", "right"]].min(axis=1).to_numpy(), one[["left", "right"]].max(axis=1).to_numpy()
            for node, lead in zip(lo.tolist(), label[hi].tolist()):
                direct.setdefault(node, set()).add(lead)
            direct.setdefault(-1, set())
        return leads <= direct.get(day, set())

    return bridges


def stored_fields(identities: pd.DataFrame, declared: list[str]) -> pd.DataFrame:
    """Stored records' match fields (lead_identities rows: MATCH_COLUMNS and match_extra) with the
    declared columns `declared` read out of match_extra, None where missing."""
    fields = identities.drop(columns="match_extra", errors="ignore")
    fields = fields.astype(object).where(fields.notna(), None)
    return pd.concat([fields, read_extra(identities.get("match_extra"), declared, identities.index)], axis=1)


def _candidate_records(candidates: pd.DataFrame | None, lead_ids: pd.Series, declared: list[str]) -> pd.DataFrame:
    """The source records of the leads `lead_ids` with their match fields (and the `declared`
    ones), in lead order (`lookup_candidates` returns them so; a frame in another order is sorted)."""
    columns = ["lead_id", "source_system", "source_lead_id", *MATCH_COLUMNS, *declared]
    if candidates is None or candidates.empty:
        return pd.DataFrame(columns=columns)
    if "run_date" in candidates:  # when the record was first seen: the older of two leads absorbs the other
        columns.append("run_date")
    if declared:
        candidates = stored_fields(candidates, declared)
    records = candidates[columns]
    if not records["lead_id"].isin(lead_ids).all():
        records = records[records["lead_id"].isin(lead_ids)]
    order = ["lead_id", "source_system", "source_lead_id"]
    lead, system, record = (records[c].to_numpy(dtype=object) for c in order)
    again = np.flatnonzero(lead[1:] == lead[:-1]) + 1  # a lead's second and later records
    if not (pd.Series(lead).is_monotonic_increasing
            and all((system[i - 1], record[i - 1]) < (system[i], record[i]) for i in again)):
        records = records.sort_values(order)
    records = records.reset_index(drop=True)
    if all(dtype == object for dtype in records.dtypes):  # as the warehouse gives them: None where missing
        return records
    return records.astype(object).where(records.notna(), None)


def _apart(splits: pd.DataFrame | None, src: pd.Series, records: pd.DataFrame) -> set[tuple[int, int]]:
    """Node pairs that `mql unmerge` kept apart: records of the day or of the candidate leads."""
    if splits is None or splits.empty:
        return set()
    n = len(src)
    node = pd.Series(np.arange(n), index=src.to_numpy())
    known = pd.Series(np.arange(n, n + len(records)),
                      index=source_key(records["source_system"], records["source_lead_id"]).to_numpy())
    node = pd.concat([node[~node.index.duplicated()], known[~known.index.isin(node.index)]])
    left, right = splits["source_key"].map(node), splits["other_key"].map(node)
    both = left.notna() & right.notna() & (left != right)
    return {(int(min(a, b)), int(max(a, b))) for a, b in zip(left[both], right[both])}


def _rules(links: pd.DataFrame, linkage: LinkageConfig) -> np.ndarray:
    """What decided each link: the source record, an exact email or phone (in the order the
    comparisons are configured), or fuzzy evidence."""
    exact = [c for c in linkage.comparisons if c.name in ("email", "phone")]
    given = links["keys"].isin(["source", "lead"]).to_numpy()
    decided = [given] + [links[c.name].to_numpy(dtype=float) == c.agree for c in exact]
    return np.select(decided, ["source_id"] + [c.name for c in exact], "fuzzy").astype(object)


def _filled(length: int, text: str) -> np.ndarray:
    """`length` times the one object `text` (np.full would make a copy of the text per row)."""
    array = np.empty(length, dtype=object)
    array.fill(text)
    return array


def _objects(length: int, **columns: object) -> pd.DataFrame:
    """A frame of `length` rows of the given columns (a text value fills its column), text kept
    as Python objects rather than converted to pandas' Arrow-backed text: a second per few
    million values, for frames that only go on to be written."""
    out = {}
    for name, values in columns.items():
        array = _filled(length, values) if isinstance(values, str) else np.asarray(values)
        out[name] = pd.Series(array, dtype=object if array.dtype == object else array.dtype)
    return pd.DataFrame(out)


def _assignment(rows: pd.DataFrame, src: pd.Series, own_lead: pd.Series, clusters: Clusters,
                records: pd.DataFrame, label: np.ndarray, n: int, run_date: str, hits: pd.DataFrame,
                keys: pd.DataFrame, key_code: np.ndarray, fields: pd.DataFrame, linkage: LinkageConfig,
                declared: list[str]) -> Assignment:
    """The rows, identities, keys and ledger of a clustering. `label`: per node, its existing
    lead's index (-1 for the day's records); `key_code`: per key of the day, its number; `hits`:
    key (that number) and lead (that index) of the keys the warehouse holds already."""
    root = clusters.root
    row_root = pd.Series(root[:n])
    # The lead of each cluster: the existing lead in it (the oldest, where a record of the day
    # bridged several: it absorbs the others), else a new one named after its first record.
    anchor, lead_of_root, moves = _survivors(records, root[n:], label[n:], run_date)
    anchored = row_root.isin(anchor.index).to_numpy()
    first_row = pd.Series(np.arange(n)).groupby(row_root.to_numpy()).first()
    first_row = first_row[~first_row.index.isin(anchor.index)]
    founder = pd.Series(new_lead_ids(src.to_numpy(dtype=object)[first_row.to_numpy()]), index=first_row.index,
                        dtype=object)
    lead_id = pd.concat([anchor, founder]).reindex(root[:n]).to_numpy(dtype=object)

    # Each accepted link that brought a record of the day in: the later record of two of the
    # day's, or the day's record against an existing lead's.
    links = clusters.links[clusters.links["keys"] != "lead"].copy()
    left, right = links["left"].to_numpy(), links["right"].to_numpy()
    links["merged"] = np.where(right < n, np.maximum(left, right), left)
    links["other"] = np.where(right < n, np.minimum(left, right), right)
    links = links[links["merged"] < n].sort_values(["score", "merged"], ascending=[False, True], kind="stable")
    links["rule"] = _rules(links, linkage)
    first_link = links.drop_duplicates("merged")
    rules = _filled(n, "new")
    rules[first_link["merged"].to_numpy()] = first_link["rule"].to_numpy()
    rules[own_lead.notna().to_numpy()] = "source_id"
    is_founder = np.zeros(n, dtype=bool)
    is_founder[first_row.to_numpy()] = True
    rules[is_founder & own_lead.isna().to_numpy()] = "new"
    written = np.isin(rules, ["source_id", "new"])
    out = _objects(n, row_number=rows["row_number"].to_numpy(), source_key=src.to_numpy(dtype=object),
                   lead_id=lead_id, match_rule=rules, disposition=np.array(["merged", "written"], dtype=object)[written.astype(np.int8)])

    fresh = np.flatnonzero(own_lead.isna().to_numpy() & ~src.duplicated().to_numpy())
    identities = pd.concat([
        _objects(len(fresh), source_system=_text(rows["source_system"])[fresh],
                 source_lead_id=_text(rows["source_lead_id"])[fresh],
                 lead_id=lead_id[fresh], run_date=run_date, match_rule=rules[fresh]),
        _objects(len(fresh), **{c: fields[c].to_numpy(dtype=object)[fresh] for c in MATCH_COLUMNS},
                 match_extra=stored_extra(fields.iloc[fresh], declared)),
    ], axis=1)
    # Each key once per lead, by cluster (integers), then named; a key the warehouse holds for
    # the lead already is not stored again.
    position = pd.Series(np.arange(n), index=rows["row_number"].to_numpy())
    day_rows = position.reindex(keys["row_number"]).to_numpy()
    kept = np.flatnonzero(~pd.Series(key_code.astype(np.int64) << 32 | root[day_rows]).duplicated().to_numpy())
    lead = lead_of_root.reindex(root[day_rows[kept]]).fillna(-1).to_numpy(np.int64)
    stored = hits[(hits["lead"] >= 0) & (hits["key"] >= 0)]
    held = pd.Series(key_code[kept].astype(np.int64) << 32 | lead).isin(
        stored["key"].to_numpy(dtype=np.int64) << 32 | stored["lead"].to_numpy(dtype=np.int64)).to_numpy()
    kept = kept[~held]
    new_keys = _objects(len(kept), key_hash=keys["key_hash"].to_numpy()[kept], lead_id=lead_id[day_rows[kept]],
                        run_date=run_date)
    return Assignment(rows=out, identities=identities, match_keys=new_keys,
                      merges=_merge_rows(links[links["rule"] != "source_id"], out, rows, records, run_date,
                                         [c.name for c in linkage.comparisons]),
                      moves=moves)


def _survivors(records: pd.DataFrame, record_root: np.ndarray, record_label: np.ndarray, run_date: str
               ) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Per cluster holding existing leads (index: its root): the lead it keeps, and that lead's
    index (its label); and the lead_moves rows of the records of the leads it absorbs. Of leads a
    record of the day bridged, the oldest survives (its first record seen first; then the
    smaller lead id)."""
    lead = records["lead_id"].to_numpy(dtype=object)
    pair = pd.Series(record_root.astype(np.int64) << 32 | record_label.astype(np.int64))
    distinct = ~pair.duplicated().to_numpy()
    # Clusters holding one lead keep it; only those holding several (few) are looked at further.
    several = pd.Series(record_root[distinct]).duplicated(keep=False).to_numpy()
    anchor = pd.Series(lead[distinct][~several], index=record_root[distinct][~several], dtype=object)
    label = pd.Series(record_label[distinct][~several], index=anchor.index)
    if not several.any():  # nothing absorbed
        return anchor, label, pd.DataFrame(columns=MOVE_COLUMNS)
    shared = np.flatnonzero(pd.Series(record_root).isin(record_root[distinct][several]).to_numpy())
    seen = (records["run_date"].to_numpy(dtype=object)[shared] if "run_date" in records
            else np.full(len(shared), "", dtype=object))
    frame = pd.DataFrame({"root": record_root[shared], "label": record_label[shared], "lead_id": lead[shared],
                          "seen": [str(d)[:10] for d in seen]}, index=shared)
    leads = frame.groupby(["root", "label", "lead_id"], as_index=False)["seen"].min()
    leads = leads.sort_values(["root", "seen", "lead_id"], kind="stable")
    first = leads.drop_duplicates("root").set_index("root")
    anchor = pd.concat([anchor, first["lead_id"].astype(object)])
    label = pd.concat([label, first["label"]])
    frame["to_lead_id"] = first["lead_id"].reindex(frame["root"]).to_numpy(dtype=object)
    moved = frame[frame["lead_id"] != frame["to_lead_id"]]
    moves = _objects(len(moved), run_date=run_date,
                     source_system=records["source_system"].to_numpy(dtype=object)[moved.index.to_numpy()],
                     source_lead_id=records["source_lead_id"].to_numpy(dtype=object)[moved.index.to_numpy()],
                     from_lead_id=moved["lead_id"].to_numpy(dtype=object),
                     to_lead_id=moved["to_lead_id"].to_numpy(dtype=object))
    return anchor, label, moves[MOVE_COLUMNS].sort_values(["from_lead_id", "source_system", "source_lead_id"],
                                                          ignore_index=True)


def _merge_rows(links: pd.DataFrame, out: pd.DataFrame, rows: pd.DataFrame, records: pd.DataFrame,
                run_date: str, comparisons: list[str]) -> pd.DataFrame:
    """lead_merges rows: the record merged, what it matched (a record of the day, or a record
    of an existing lead, and that lead), the rule, the score and the evidence per comparison."""
    if links.empty:
        return pd.DataFrame(columns=MERGE_COLUMNS)
    merged, other = links["merged"].to_numpy(), links["other"].to_numpy()
    systems = np.concatenate([_text(rows["source_system"]),
                              records["source_system"].to_numpy(dtype=object)])
    ids = np.concatenate([_text(rows["source_lead_id"]),
                          records["source_lead_id"].to_numpy(dtype=object)])
    lead_of_other = np.concatenate([np.full(len(rows), None, dtype=object), records["lead_id"].to_numpy(dtype=object)])
    names = sorted(comparisons)  # as json.dumps(..., sort_keys=True) writes them, without its cost per row
    template = "{" + ", ".join(f"{json.dumps(name)}: %r" for name in names) + "}"
    evidence = [template % values for values in map(tuple, links[names].to_numpy(dtype=float).tolist())]
    return _objects(
        len(links), run_date=run_date, lead_id=out["lead_id"].to_numpy(dtype=object)[merged],
        source_system=systems[merged], source_lead_id=ids[merged],
        matched_source_system=systems[other], matched_source_lead_id=ids[other],
        matched_lead_id=lead_of_other[other], rule=links["rule"].to_numpy(dtype=object),
        score=links["score"].to_numpy(dtype=float), keys=links["keys"].to_numpy(dtype=object),
        evidence=np.array(evidence, dtype=object))[MERGE_COLUMNS]


def attribute(frame: pd.DataFrame, known: Known, assigned: pd.DataFrame, absorbed: pd.Series | None = None
              ) -> pd.Series:
    """The lead each activity or outcome row belongs to, through its source record (None: unknown)."""
    mapping = dict(zip(known.sources["source_key"], known.sources["lead_id"]))
    if absorbed is not None and len(absorbed):  # records of a lead absorbed today: the survivor's
        mapping = {key: absorbed.get(lead, lead) for key, lead in mapping.items()}
    mapping.update(zip(assigned["source_key"], assigned["lead_id"]))
    # Each source record once: a day's activities name about a tenth as many records as they have
    # rows, and a key made per row would be a new string per row.
    systems, system_values = pd.factorize(frame["source_system"], use_na_sentinel=False)
    ids, id_values = pd.factorize(frame["source_lead_id"], use_na_sentinel=False)
    records, row_record = np.unique(systems.astype(np.int64) * len(id_values) + ids, return_inverse=True)
    keys = source_key(pd.Series(np.asarray(system_values, dtype=object)[records // max(len(id_values), 1)]),
                      pd.Series(np.asarray(id_values, dtype=object)[records % max(len(id_values), 1)]))
    leads = keys.map(mapping).to_numpy(dtype=object)[row_record.reshape(-1)]
    return pd.Series(leads, index=frame.index, dtype=object).where(pd.notna(leads), None)
