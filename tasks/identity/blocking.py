"""Blocking: candidate pairs through blocking keys, each key a keyed 64-bit hash of normalised
values, so that only records sharing a key are compared."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.identity.comparisons import LinkageConfig


# --- blocking ------------------------------------------------------------------------------------
_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: spreads the bits of each step


@dataclass(frozen=True, repr=False)
class HashKey:
    """The secret key of the keyed 64-bit hashes: SipHash-2-4 (pandas' `hash_array`, in C, each
    distinct value once), a keyed pseudo-random function, so that without the key nobody can tell
    which email a stored key belongs to by hashing guesses. `derive` makes one from a secret."""

    sip: str     # 16 characters, as pandas takes the key (16 bytes once UTF-8 encoded)
    raw: bytes   # the 16 bytes it was made from (fingerprint, wrapping)

    def __post_init__(self) -> None:
        if len(self.sip.encode("utf-8")) != 16:
            raise ValueError("a hash key is 16 bytes")  # never echo the key

    def __repr__(self) -> str:
        return f"HashKey(fingerprint={self.fingerprint})"

    @classmethod
    def from_raw(cls, raw: bytes) -> HashKey:
        """SipHash's key from 16 random or derived bytes: 7 bits of each (a 112-bit key, as pandas
        reads the key as UTF-8 text)."""
        return cls(sip="".join(chr(b & 0x7F) for b in raw), raw=bytes(raw))

    @classmethod
    def derive(cls, secret: str) -> HashKey:
        """The key of a secret (any text; random and long, see the README)."""
        return cls.from_raw(hashlib.blake2b(secret.encode("utf-8"), digest_size=16, person=b"mql-match-keys").digest())

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it: a keyed hash of a fixed text."""
        return hashlib.blake2b(b"fingerprint", key=self.raw, digest_size=8).hexdigest()


# pandas' own fixed key: for linkage that stores nothing (the FEBRL benchmark) and for warehouses
# made before keys were keyed (`mql rekey` replaces their keys).
UNKEYED = HashKey(sip="0123456789123456", raw=b"0123456789123456")


def text_hashes(values: pd.Series | np.ndarray, key: HashKey = UNKEYED) -> np.ndarray:
    """64-bit keyed hashes of text values, spaces left out ("North Wind" and "Northwind" block
    together; the comparisons still see the spaces): SipHash under `key`, each distinct value
    once; 0 where a value is missing. Stable across processes and releases (a test pins
    values), so stored keys stay valid under the same key."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    compact = np.array([str(value).replace(" ", "") for value in distinct], dtype=object)
    hashes = np.append(pd.util.hash_array(compact, categorize=False, hash_key=key.sip), np.uint64(0))
    return hashes[codes]  # a missing value's code, -1, takes the 0 appended


def _mix(hashes: np.ndarray, values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        mixed = (hashes ^ values) * _MIX
    return mixed ^ (mixed >> np.uint64(31))


def _combine(key_type: str, hashed: list[np.ndarray], key: HashKey) -> np.ndarray:
    combined = np.full(len(hashed[0]), text_hashes(np.array([key_type], dtype=object), key)[0], dtype=np.uint64)
    for values in hashed:
        combined = _mix(combined, values)
    return combined.view(np.int64)


def key_hashes(key_type: str, *columns: pd.Series | np.ndarray, key: HashKey = UNKEYED) -> np.ndarray:
    """The blocking key of `key_type` made of `columns` (one value each per record) as signed 64-bit
    integers, under `key`: what lead_match_keys stores and is searched by. A key is only a way to
    find candidates; the comparisons decide, so a hash collision costs one needless comparison."""
    return _combine(key_type, [text_hashes(column, key) for column in columns], key)


def pair_codes(x: np.ndarray | pd.Series, y: np.ndarray | pd.Series) -> np.ndarray:
    """One int64 per row of two columns, equal exactly where both values are: each column's
    codes (pandas.factorize; fewer than 2**31 distinct values) side by side."""
    return pd.factorize(np.asarray(x))[0].astype(np.int64) << 32 | pd.factorize(np.asarray(y))[0].astype(np.int64)


def block_sizes(values: np.ndarray | pd.Series) -> np.ndarray:
    """Per row, how many rows share its value."""
    code = pd.factorize(np.asarray(values))[0]
    return np.bincount(code)[code] if len(code) else np.empty(0, dtype=np.int64)


def run_offsets(counts: np.ndarray) -> np.ndarray:
    """0 .. count-1 for each of `counts`, end to end: positions within runs of those lengths."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def block_keys(frame: pd.DataFrame, config: LinkageConfig, key: HashKey = UNKEYED) -> pd.DataFrame:
    """Blocking keys of each record: key_type (categorical), key_hash (see `key_hashes`, under
    `key`) and node (the frame's positional index), where every column of a combination has a value.
    Alternatives of one key type share its values, so "last|company" meets "first|company"
    of a record whose names were swapped."""
    types = list(config.blocking)
    hashed = {column: text_hashes(frame[column], key) for column in dict.fromkeys(
        c for combos in config.blocking.values() for combo in combos for c in combo)}
    present = {column: frame[column].notna().to_numpy() for column in hashed}
    hashes, type_codes, nodes = [], [], []
    for code, (key_type, combos) in enumerate(config.blocking.items()):
        for combo in combos:
            rows = np.flatnonzero(np.logical_and.reduce([present[column] for column in combo]))
            hashes.append(_combine(key_type, [hashed[column][rows] for column in combo], key))
            type_codes.append(np.full(len(rows), code, dtype=np.int8))
            nodes.append(rows)
    keys = pd.DataFrame({
        "key_type": pd.Categorical.from_codes(np.concatenate(type_codes or [np.empty(0, np.int8)]), types),
        "key_hash": np.concatenate(hashes or [np.empty(0, np.int64)]),
        "node": np.concatenate(nodes or [np.empty(0, np.int64)]).astype(np.int64),
    })
    return keys[~pd.Series(pair_codes(keys["key_hash"], keys["node"])).duplicated().to_numpy()].reset_index(drop=True)


def pairs_within(keys: pd.DataFrame, max_block: int) -> pd.DataFrame:
    """Node pairs (left < right) sharing a key, with the key types they share; blocks of more
    than `max_block` records (a shared switchboard, a placeholder value) are left out."""
    code = pd.factorize(keys["key_hash"])[0]
    sizes = block_sizes(code)
    usable = np.flatnonzero((sizes > 1) & (sizes <= max_block))
    # Each block's records in a run; each record pairs with those after it in its run.
    usable = usable[np.argsort(code[usable], kind="stable")]
    code, nodes = code[usable], keys["node"].to_numpy(dtype=np.int64)[usable]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.empty(0, dtype=np.int64)
    size = np.diff(np.r_[starts, len(code)])
    rank = run_offsets(size)  # place of each record in its block
    after = np.repeat(size, size) - rank - 1  # records after each one in its block
    first = np.repeat(np.arange(len(code)), after)
    second = first + 1 + run_offsets(after)
    left, right = nodes[first], nodes[second]
    return collect_pairs(pd.DataFrame({"left": np.minimum(left, right), "right": np.maximum(left, right),
                                       "key_type": pd.Categorical(keys["key_type"]).take(usable[first])}))


def collect_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per pair (left, right), in (left, right) order, with the ";"-joined key types it
    was found through (node numbers below 2**31)."""
    if pairs.empty:
        return pd.DataFrame({"left": pd.Series(dtype="int64"), "right": pd.Series(dtype="int64"),
                             "keys": pd.Series(dtype=object)})
    kinds = pd.Categorical(pairs["key_type"])  # as block_keys gives it already: no work
    bits = np.left_shift(np.int64(1), kinds.codes.astype(np.int64))
    pair = pairs["left"].to_numpy(dtype=np.int64) << 32 | pairs["right"].to_numpy(dtype=np.int64)
    order = np.argsort(pair, kind="stable")
    pair = pair[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    masks = np.bitwise_or.reduceat(bits[order], starts)
    distinct, which = np.unique(masks, return_inverse=True)
    names = np.array([";".join(sorted(t for i, t in enumerate(kinds.categories) if m >> i & 1))
                      for m in distinct.tolist()], dtype=object)
    return pd.DataFrame({"left": pair[starts] >> 32, "right": pair[starts] & 0xFFFFFFFF,
                         "keys": pd.Series(names[which.ravel()], dtype=object)})  # one object per name
