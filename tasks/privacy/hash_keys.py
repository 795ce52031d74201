"""The warehouse's hash key: where it comes from, the check that it is the key the stored match
keys and erasure tombstones were made under, and its rotation (`mql rekey`).

Match keys (lead_match_keys) and erasure tombstones (erasure_ledger) are keyed 64-bit hashes
(`blocking.HashKey`): without the key, nobody can tell whose email a stored hash is by hashing
guesses. The key comes from the `MQL_MATCH_KEY_SECRET` setting; a SQLite warehouse with none
configured gets a random secret in a file beside it, made once; any other warehouse refuses to run.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tasks.identity.assignment import DedupeConfig, stored_fields
from tasks.errors import ConfigError, WarehouseError
from tasks.identity.blocking import UNKEYED, HashKey, block_keys
from tasks.warehouse.connection import bulk_insert, execute, query, warehouse_file

KEY_FILE_SUFFIX = ".match-key"
MIN_SECRET = 16  # characters; a secret short enough to guess would make the hashes guessable again
SECRET_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
REKEY_CHUNK = 200_000  # source records whose keys are recomputed at a time


@dataclass(frozen=True)
class HashKeys:
    """The warehouse's current key, and the retired keys erasure tombstones were made under."""

    current: HashKey
    retired: tuple[HashKey, ...] = ()

    def all(self) -> tuple[HashKey, ...]:
        return (self.current, *self.retired)


def configured_key(url: str, secret: str | None) -> HashKey:
    """The key of the configured secret; with none, a SQLite file warehouse's key file (made on
    first use), else a one-line error."""
    if secret is not None:
        if len(secret) < MIN_SECRET:
            raise ConfigError(f"MQL_MATCH_KEY_SECRET is too short: use at least {MIN_SECRET} random characters "
                              f"({SECRET_HINT})")
        return HashKey.derive(secret)
    path = key_file(url)
    if path is None:
        backend = sa.engine.make_url(url).get_backend_name()
        raise ConfigError(f"MQL_MATCH_KEY_SECRET is not set: a {backend} warehouse needs a secret that keys its "
                          f"match keys and erasure tombstones ({SECRET_HINT}; keep it with the warehouse's backups)")
    return HashKey.derive(_key_file_secret(path))


def key_file(url: str) -> Path | None:
    """Where a SQLite file warehouse keeps its generated secret (None for other warehouses)."""
    database = warehouse_file(url)
    return None if database is None else Path(str(database) + KEY_FILE_SUFFIX)


def _key_file_secret(path: Path) -> str:
    """The secret in `path`, written there first (readable by its owner only) if missing."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) < MIN_SECRET:
            raise ConfigError(f"match-key file {path} is damaged: restore it from a backup") from None
        return secret
    except OSError as exc:
        raise ConfigError(f"cannot write the match-key file {path}: {exc.strerror}") from None
    secret = secrets.token_urlsafe(32)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(secret + "\n")
    return secret


def wrap(key: HashKey, under: HashKey) -> str:
    """`key` encrypted under `under` (a one-time pad from BLAKE2b keyed by `under` and a fresh nonce), as hex."""
    nonce = os.urandom(16)
    pad = hashlib.blake2b(nonce, key=under.raw, digest_size=len(key.raw), person=b"mql-key-wrap").digest()
    return nonce.hex() + bytes(a ^ b for a, b in zip(key.raw, pad)).hex()


def unwrap(text: str, under: HashKey, fingerprint: str) -> HashKey:
    """The key `wrap` encrypted, checked against its fingerprint."""
    nonce, body = bytes.fromhex(text[:32]), bytes.fromhex(text[32:])
    pad = hashlib.blake2b(nonce, key=under.raw, digest_size=len(body), person=b"mql-key-wrap").digest()
    key = HashKey.from_raw(bytes(a ^ b for a, b in zip(body, pad)))
    if key.fingerprint != fingerprint:
        raise WarehouseError(f"hash_keys: retired key {fingerprint} does not decrypt under the current key "
                             "(the table was edited by hand?)")
    return key


def warehouse_keys(conn: Connection, key: HashKey) -> HashKeys:
    """Check that `key` is the warehouse's key (recording it in a new warehouse); with the retired
    keys erasure tombstones were made under. Run under the warehouse's run lock."""
    stored = query(conn, "hash_keys")
    current = stored[stored["status"] == "current"]
    if current.empty:
        if len(query(conn, "any_match_key")):
            raise WarehouseError("the warehouse's match keys were hashed without a secret key (a warehouse made by "
                                 "an earlier version): run `mql rekey` once to hash them under MQL_MATCH_KEY_SECRET")
        execute(conn, "insert_hash_key", {"fingerprint": key.fingerprint, "status": "current", "wrapped_key": None,
                                          "since": datetime.now(timezone.utc)})
        return HashKeys(key)
    if current["fingerprint"].iloc[0] != key.fingerprint and not len(query(conn, "any_match_key")) \
            and not len(query(conn, "ledger_generations")):
        # Nothing was hashed under the recorded key (a first run that failed): take the new one.
        execute(conn, "clear_hash_keys", {})
        return warehouse_keys(conn, key)
    if current["fingerprint"].iloc[0] != key.fingerprint:
        raise WarehouseError(f"the match-key secret (fingerprint {key.fingerprint}) is not the one this warehouse's "
                             f"match keys were made with (fingerprint {current['fingerprint'].iloc[0]}): configure "
                             "that one (MQL_MATCH_KEY_SECRET, or the key file beside a SQLite warehouse), or change "
                             "it with `mql rekey`")
    retired = stored[stored["status"] == "retired"]
    return HashKeys(key, tuple(unwrap(str(r.wrapped_key), key, str(r.fingerprint)) for r in retired.itertuples()))


def rekey(conn: Connection, old: HashKey | None, new: HashKey, config: DedupeConfig) -> dict[str, int]:
    """Recompute every stored match key from the stored identities under `new`, and keep the keys
    erasure tombstones were made under, wrapped under `new`. `old`: the warehouse's current key
    (None for a warehouse whose keys were made without one). Run in one transaction, under the
    warehouse's run lock."""
    stored = query(conn, "hash_keys")
    current = stored[stored["status"] == "current"]
    if current.empty and old is not None:
        raise ConfigError("--old-secret-env: this warehouse's match keys were made without a secret; "
                          "run `mql rekey` without it")
    if not current.empty:
        if old is None:
            raise ConfigError("--old-secret-env is needed: name the environment variable holding the secret this "
                              "warehouse's match keys were made with")
        if current["fingerprint"].iloc[0] != old.fingerprint:
            raise ConfigError("--old-secret-env: that secret is not the one this warehouse's match keys were made "
                              f"with (fingerprint {old.fingerprint}, warehouse {current['fingerprint'].iloc[0]})")
    if old is not None and old.fingerprint == new.fingerprint:
        raise ConfigError("the new secret (MQL_MATCH_KEY_SECRET) is the old one: nothing to rotate")
    keys = warehouse_keys(conn, old) if old is not None else HashKeys(UNKEYED)
    in_use = set(query(conn, "ledger_generations")["key_fingerprint"])

    execute(conn, "clear_match_keys", {})
    records = written = 0
    after = ""
    while True:
        chunk = query(conn, "rekey_identities", {"after": after, "limit": REKEY_CHUNK})
        if chunk.empty:
            break
        if len(chunk) == REKEY_CHUNK:  # the last lead's records may go on in the next chunk: take them there
            last = chunk["lead_id"].iloc[-1]
            whole = chunk[chunk["lead_id"] != last]
            chunk = whole if len(whole) else chunk
        after = str(chunk["lead_id"].iloc[-1])
        records += len(chunk)
        written += bulk_insert(conn, "lead_match_keys", identity_keys(chunk, config, new))

    execute(conn, "clear_hash_keys", {})
    now = datetime.now(timezone.utc)
    execute(conn, "insert_hash_key", {"fingerprint": new.fingerprint, "status": "current", "wrapped_key": None,
                                      "since": now})
    kept = [k for k in keys.all() if k.fingerprint in in_use and k.fingerprint != new.fingerprint]
    for retired in kept:
        execute(conn, "insert_hash_key", {"fingerprint": retired.fingerprint, "status": "retired",
                                          "wrapped_key": wrap(retired, new), "since": now})
    return {"source_records": records, "match_keys": written, "retired_keys_kept": len(kept)}


def identity_keys(identities: pd.DataFrame, config: DedupeConfig, key: HashKey) -> pd.DataFrame:
    """lead_match_keys rows of stored identities (lead_id, run_date, match fields) under `key`: each
    key once per lead, dated by the first record that holds it, as the runs stored them."""
    keys = block_keys(stored_fields(identities, config.declared), config.linkage, key)
    node = keys["node"].to_numpy()
    rows = pd.DataFrame({"key_hash": keys["key_hash"].to_numpy(dtype=np.int64),
                         "lead_id": identities["lead_id"].to_numpy(dtype=object)[node],
                         "run_date": identities["run_date"].map(lambda d: str(d)[:10]).to_numpy(dtype=object)[node]})
    return rows.sort_values(["key_hash", "lead_id", "run_date"]).drop_duplicates(["key_hash", "lead_id"])
