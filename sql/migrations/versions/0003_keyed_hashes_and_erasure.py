"""Keyed match keys and erasure: the hash_keys and erasure_ledger tables.

A warehouse from before this revision holds match keys hashed without a secret key: runs refuse
it in one line until `mql rekey` re-hashes them under MQL_MATCH_KEY_SECRET (tasks/privacy/hash_keys.py).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same DDL as sql/schema/16_hash_keys.sql and 17_erasure_ledger.sql hold today.
    op.execute("""
        CREATE TABLE IF NOT EXISTS hash_keys (
            fingerprint     TEXT PRIMARY KEY,
            status          TEXT NOT NULL,
            wrapped_key     TEXT,
            since           TIMESTAMP WITH TIME ZONE NOT NULL
        )""")
    op.execute("""
        CREATE TABLE IF NOT EXISTS erasure_ledger (
            erasure_id      TEXT NOT NULL,
            kind            TEXT NOT NULL,
            tombstone       BIGINT NOT NULL,
            key_fingerprint TEXT NOT NULL,
            erased_by       TEXT NOT NULL,
            erased_at       TIMESTAMP WITH TIME ZONE NOT NULL,
            reason          TEXT NOT NULL,
            PRIMARY KEY (erasure_id, kind, tombstone)
        )""")


def downgrade() -> None:
    op.drop_table("erasure_ledger")
    op.drop_table("hash_keys")
