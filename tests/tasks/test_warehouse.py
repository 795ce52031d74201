from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tasks.errors import ConfigError, WarehouseError
from tasks.warehouse import bulk_insert, open_warehouse, query_in, query_joined, statements


def test_open_creates_every_table_and_is_repeatable(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    open_warehouse(url, schema).dispose()  # a second open finds the tables and changes nothing
    names = set(sa.inspect(engine).get_table_names(schema=schema if engine.dialect.name == "postgresql" else None))
    assert {"leads", "lead_identities", "lead_scores", "mql_events", "nurture_enrollments", "runs", "run_counts",
            "rejected_leads", "validation_results", "score_contributions", "lead_history"} <= names
    engine.dispose()


def test_bulk_insert_round_trips_types_and_hostile_text(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    hostile = "'); DROP TABLE leads; -- =HYPERLINK(\"http://x\") \u202e\U0001F600 " + "x" * 10_000
    frame = pd.DataFrame({
        "run_id": ["r1", "r1"], "run_date": ["2026-03-02", "2026-03-02"],
        "stage": ["extract", hostile], "metric": ["leads_in", "m"], "value": [3, 2**40],
    })
    with engine.begin() as conn:
        assert bulk_insert(conn, "run_counts", frame) == 2
    with engine.connect() as conn:
        got = query_in(conn, "evaluate_run_counts", ["r1"]).sort_values("metric", ignore_index=True)
        assert "leads" in set(sa.inspect(conn).get_table_names(schema=schema if conn.dialect.name == "postgresql" else None))
    assert got["stage"].tolist() == ["extract", hostile]
    assert got["value"].tolist() == [3, 2**40]
    engine.dispose()


def test_bulk_insert_rolls_back_with_the_transaction(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    frame = pd.DataFrame({"run_id": ["r2"], "run_date": ["2026-03-02"], "stage": ["s"], "metric": ["m"], "value": [1]})
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            bulk_insert(conn, "run_counts", frame)
            raise RuntimeError("boom")
    with engine.connect() as conn:
        assert query_in(conn, "evaluate_run_counts", ["r2"]).empty
    engine.dispose()


def test_query_in_chunks_and_empty_values(warehouse, monkeypatch):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    monkeypatch.setattr("tasks.warehouse.IN_CHUNK", 3)
    frame = pd.DataFrame({"run_id": [f"r{i}" for i in range(10)], "run_date": "2026-03-02", "stage": "s",
                          "metric": "m", "value": range(10)})
    with engine.begin() as conn:
        bulk_insert(conn, "run_counts", frame)
    with engine.connect() as conn:
        got = query_in(conn, "evaluate_run_counts", [f"r{i}" for i in range(0, 10, 2)] + [None, "r0"])
        empty = query_in(conn, "evaluate_run_counts", [])
    assert sorted(got["value"]) == [0, 2, 4, 6, 8]
    assert empty.empty and "value" in empty.columns
    engine.dispose()


def test_unreachable_and_malformed_urls_give_one_line_errors(tmp_path):
    with pytest.raises(WarehouseError, match="cannot reach warehouse postgresql\\+psycopg://nobody:\\*\\*\\*@127.0.0.1:1/x"):
        open_warehouse("postgresql+psycopg://nobody:secret@127.0.0.1:1/x")
    with pytest.raises(ConfigError, match="not a SQLAlchemy URL"):
        open_warehouse("not a url")
    with pytest.raises(WarehouseError, match="does not exist"):
        open_warehouse(f"sqlite:///{tmp_path}/missing/folder/w.db")


def test_statements_drop_comments_and_split():
    assert statements("-- a; b\nSELECT 1; -- c\nSELECT 2;\n") == ["SELECT 1", "SELECT 2"]


def test_joined_lookups_take_64_bit_keys_and_hostile_text(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    hostile = "quote ' \" \\ tab\t nl\n \u202e\U0001F600 " + "x" * 10_000
    keys = pd.DataFrame({"key_hash": [-2**63, 2**63 - 1, 0, 42], "lead_id": ["L1", "L2", "L3", hostile],
                         "run_date": ["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-02"]})
    identities = pd.DataFrame({"source_system": ["crm", "crm"], "source_lead_id": [hostile, "7"],
                               "lead_id": ["L1", "L2"], "run_date": "2026-03-01", "match_rule": "new"})
    with engine.begin() as conn:
        bulk_insert(conn, "lead_match_keys", keys)
        bulk_insert(conn, "lead_identities", identities)
    day = {"run_date": date(2026, 3, 2)}
    with engine.connect() as conn:
        hashes = pd.DataFrame({"key_hash": np.array([2**63 - 1, -2**63, 7, 42], dtype=np.int64)})
        found = query_joined(conn, "lookup_match_keys", hashes, day)
        sources = pd.DataFrame({"source_system": ["crm", "crm", "web"], "source_lead_id": [hostile, "8", "7"]})
        known = query_joined(conn, "lookup_identities", sources, day)
        candidates = query_joined(conn, "lookup_candidates", pd.DataFrame({"lead_id": ["L2", "nobody"]}), day)
    # the key of a later run date is not known yet; 7 is nobody's key
    assert sorted(zip(found["key_hash"].astype("int64"), found["lead_id"])) == [(-2**63, "L1"), (2**63 - 1, "L2")]
    assert known[["source_lead_id", "lead_id"]].values.tolist() == [[hostile, "L1"]]
    assert candidates["source_lead_id"].tolist() == ["7"] and candidates["first_key"].isna().all()
    engine.dispose()


def test_a_warehouse_with_text_match_keys_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old.db"
    with sa.create_engine(f"sqlite:///{path}").begin() as conn:
        conn.exec_driver_sql("CREATE TABLE lead_match_keys (key_type TEXT, key_value TEXT, lead_id TEXT, "
                             "run_date DATE, PRIMARY KEY (key_type, key_value, lead_id))")
    with pytest.raises(WarehouseError, match="older version: lead_match_keys holds text keys") as error:
        open_warehouse(f"sqlite:///{path}")
    assert "\n" not in str(error.value)
