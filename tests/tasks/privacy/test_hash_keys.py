"""The warehouse's hash key: from the secret or a key file beside SQLite, checked by fingerprint."""

from __future__ import annotations

import stat

import pandas as pd
import pytest

from tasks.errors import ConfigError, WarehouseError
from tasks.privacy.hash_keys import configured_key, unwrap, warehouse_keys, wrap
from tasks.identity.blocking import HashKey
from tasks.warehouse.connection import bulk_insert, open_warehouse, query


def test_a_sqlite_warehouse_without_a_secret_gets_a_private_key_file_made_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    key = configured_key(url, None)
    path = tmp_path / "w.db.match-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert configured_key(url, None).fingerprint == key.fingerprint  # read, not made again
    secret = path.read_text().strip()
    assert len(secret) >= 32 and key.fingerprint == HashKey.derive(secret).fingerprint
    # A configured secret wins over the file.
    assert configured_key(url, "s" * 20).fingerprint == HashKey.derive("s" * 20).fingerprint


def test_postgresql_without_a_secret_and_short_secrets_are_one_line_errors():
    with pytest.raises(ConfigError, match=r"^MQL_MATCH_KEY_SECRET is not set: a postgresql warehouse needs"):
        configured_key("postgresql+psycopg://u:pw@db/x", None)
    with pytest.raises(ConfigError, match="too short") as raised:
        configured_key("sqlite:///x.db", "short-secret")
    assert "short-secret" not in str(raised.value)  # the secret is never echoed


def test_the_warehouse_refuses_another_key_and_keys_made_without_one(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    first, other = HashKey.derive("the first secret, long enough"), HashKey.derive("another secret, long enough")
    try:
        with engine.begin() as conn:
            assert warehouse_keys(conn, first).current is first  # recorded on first use
            bulk_insert(conn, "lead_match_keys", pd.DataFrame({"key_hash": [1], "lead_id": ["L"],
                                                               "run_date": ["2026-03-02"]}))
        with engine.begin() as conn, pytest.raises(WarehouseError, match="not the one this warehouse's match keys"):
            warehouse_keys(conn, other)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM hash_keys")  # as a warehouse of an earlier version
        with engine.begin() as conn, pytest.raises(WarehouseError, match="run `mql rekey` once"):
            warehouse_keys(conn, first)
        with engine.connect() as conn:
            assert query(conn, "hash_keys").empty
    finally:
        engine.dispose()


def test_a_retired_key_unwraps_only_under_the_key_that_wrapped_it():
    old, new = HashKey.derive("old secret, long enough"), HashKey.derive("new secret, long enough")
    wrapped = wrap(old, new)
    assert old.raw.hex() not in wrapped
    assert unwrap(wrapped, new, old.fingerprint).sip == old.sip
    with pytest.raises(WarehouseError, match="does not decrypt"):
        unwrap(wrapped, old, old.fingerprint)
