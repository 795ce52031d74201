from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.errors import ConfigError, WarehouseError
from tasks.scoring.score import ledgers
from tasks.warehouse.connection import _iso_timestamps, _python_rows, bulk_insert, open_warehouse, query_in, query_joined, run_script, statements
from tasks.warehouse.state import ENGAGEMENT_STATE, typed


def test_open_creates_every_table_and_is_repeatable(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    open_warehouse(url, schema).dispose()  # a second open finds the tables and changes nothing
    names = set(sa.inspect(engine).get_table_names(schema=schema if engine.dialect.name == "postgresql" else None))
    assert {"leads", "lead_identities", "lead_scores", "mql_events", "nurture_enrollments", "runs", "run_counts",
            "rejected_leads", "validation_results", "lead_history"} <= names
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


def test_a_missing_time_among_times_is_written_as_null(warehouse):
    # A column of timestamps and NaT as objects (what a column-wise stage may build): NULL, not 'NaT'.
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    at = pd.Timestamp("2026-03-02T10:00:00Z")
    rows = pd.DataFrame([_lead_row("L1", "2026-03-02"), _lead_row("L2", "2026-03-02")])
    rows["first_mql_at"] = pd.Series([at, pd.NaT], dtype=object)
    with engine.begin() as conn:
        bulk_insert(conn, "leads", rows)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT lead_id, first_mql_at FROM leads ORDER BY lead_id")).all()
    engine.dispose()
    assert got[0][1] is not None and got[1][1] is None


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
    monkeypatch.setattr("tasks.warehouse.connection.IN_CHUNK", 3)
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
    with pytest.raises(ConfigError, match=r"^warehouse URL: not a SQLAlchemy URL \(its port is not a number\)$"):
        open_warehouse("postgresql+psycopg://nobody:secret@127.0.0.1:5432x/db")
    with pytest.raises(WarehouseError, match='^cannot reach warehouse .*127.0.0.1:99999/x: connection is bad: '
                                             'invalid port number: "99999"$'):
        open_warehouse("postgresql+psycopg://nobody:secret@127.0.0.1:99999/x")
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


def test_joined_lookups_keep_real_numbers_whole_after_a_whole_one(warehouse):
    """PostgreSQL's JSON writes a real number without a fraction as `40`: the values after it
    (38.07, 5.15) stay real, not cut to integers."""
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    rows = pd.DataFrame({"lead_id": ["L1", "L1", "L1", "L1"], "kind": ["engagement"] * 3 + ["fit"],
                         "rule": ["a", "b", "c", "d"], "raw_points": 0.0, "decay_factor": 1.0,
                         "decayed_value": [40.0, 38.07, 5.15, 0.0], "points": 1.0})
    scores = pd.DataFrame({"run_date": ["2026-03-01"], "lead_id": ["L1"], "fit_score": [0.0], "engagement_score": [0.0],
                           "total_score": [0.0], "grade": ["D"], "model_version": ["v"]})
    scores["contributions"] = ledgers(rows, scores["lead_id"])
    assert scores["contributions"][0].startswith('[["engagement","a",0,1,40,1],')
    with engine.begin() as conn:
        bulk_insert(conn, "lead_scores", scores)
    with engine.connect() as conn:
        state = typed(query_joined(conn, ENGAGEMENT_STATE[engine.dialect.name], pd.DataFrame({"lead_id": ["L1"]}),
                                   {"run_date": date(2026, 3, 2)}))
    # The engagement entries only (not the fit one), unpacked by the database, dated by their scoring.
    assert list(state.columns) == ["lead_id", "rule", "decayed_value", "state_date"]
    assert sorted(zip(state["lead_id"], state["rule"], state["decayed_value"].astype(float), state["state_date"])) == [
        ("L1", "a", 40.0, "2026-03-01"), ("L1", "b", 38.07, "2026-03-01"), ("L1", "c", 5.15, "2026-03-01")]
    engine.dispose()


def test_a_warehouse_with_text_match_keys_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old.db"
    with sa.create_engine(f"sqlite:///{path}").begin() as conn:
        conn.exec_driver_sql("CREATE TABLE lead_match_keys (key_type TEXT, key_value TEXT, lead_id TEXT, "
                             "run_date DATE, PRIMARY KEY (key_type, key_value, lead_id))")
    with pytest.raises(WarehouseError, match="older version: lead_match_keys holds text keys") as error:
        open_warehouse(f"sqlite:///{path}")
    assert "\n" not in str(error.value)


def _lead_row(lead_id: str, run_date: str) -> dict:
    """A leads/lead_history row with every required column."""
    return {"lead_id": lead_id, "email": f"{lead_id}@example.com", "email_consent": True, "do_not_contact": False,
            "custom_attributes": "{}", "provenance": "{}", "created_at": "2026-03-01T09:00:00+00:00",
            "updated_at": f"{run_date}T09:00:00+00:00", "fit_score": 1.0, "engagement_score": 2.0,
            "total_score": 3.0, "grade": "C", "lifecycle_stage": "lead", "stage_changed_at": "2026-03-01T09:00:00+00:00",
            "model_version": "m", "interests": "[]", "first_run_date": "2026-03-01", "last_run_date": run_date}


@pytest.mark.parametrize("table", ["leads", "lead_history"])
def test_rewinding_dates_leaves_a_column_a_user_added_alone(warehouse, table):
    # Restoring leads from lead_history named no target columns: a user's column broke it on SQLite.
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    history = pd.DataFrame([_lead_row("L1", "2026-03-01"), _lead_row("L1", "2026-03-02"),
                            _lead_row("L2", "2026-03-01")]).assign(run_date=["2026-03-01", "2026-03-02", "2026-03-01"])
    with engine.begin() as conn:
        quoted = conn.dialect.identifier_preparer.quote(table)
        conn.exec_driver_sql("ALTER TABLE " + quoted + " ADD COLUMN owner_note TEXT")
        bulk_insert(conn, "lead_history", history)
        bulk_insert(conn, "leads", pd.DataFrame([_lead_row("L1", "2026-03-02"), _lead_row("L2", "2026-03-01")]))
        conn.exec_driver_sql("UPDATE " + quoted + " SET owner_note = 'mine'")
        run_script(conn, "wipe_from_date", {"run_date": date(2026, 3, 2)})
    with engine.connect() as conn:
        leads = conn.exec_driver_sql("SELECT lead_id, last_run_date, updated_at FROM leads ORDER BY lead_id").all()
        notes = conn.exec_driver_sql("SELECT owner_note FROM " + quoted + " ORDER BY lead_id").scalars().all()
    engine.dispose()
    assert [(r[0], str(r[1])[:10]) for r in leads] == [("L1", "2026-03-01"), ("L2", "2026-03-01")]
    assert str(leads[0][2])[:10] == "2026-03-01"  # L1 back to its row of the day before
    # The user's values stay on the rows the rewind keeps (L1's leads row is rebuilt from history).
    assert notes == (["mine", "mine"] if table == "lead_history" else [None, "mine"])


def test_a_mixed_case_schema_name_works(postgres_url):
    schema = "MqlTest_" + uuid.uuid4().hex[:6]
    try:
        engine = open_warehouse(postgres_url, schema)
        frame = pd.DataFrame({"run_id": ["r1"], "run_date": ["2026-03-02"], "stage": ["s"], "metric": ["m"],
                              "value": [7]})
        with engine.begin() as conn:
            bulk_insert(conn, "run_counts", frame)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_schema()").scalar() == schema
            assert query_in(conn, "evaluate_run_counts", ["r1"])["value"].tolist() == [7]
        engine.dispose()
        open_warehouse(postgres_url, schema).dispose()  # found again, at its revision
        with sa.create_engine(postgres_url).connect() as conn:
            tables = conn.execute(sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                                  {"s": schema}).scalar()
            folded = conn.execute(sa.text("SELECT count(*) FROM information_schema.schemata "
                                          "WHERE schema_name = lower(:s)"), {"s": schema}).scalar()
        assert tables > 20 and folded == 0
    finally:
        with sa.create_engine(postgres_url).begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))


def test_bulk_insert_writes_the_same_values_by_either_copy_path(warehouse, monkeypatch):
    """PostgreSQL's COPY takes CSV written by Arrow, or rows one by one when a column mixes types;
    either way (and through SQLite's executemany) the table holds the same values: NULL for a
    missing value or NaN, an empty string kept, quotes, commas, newlines and backslashes as typed."""
    import tasks.warehouse.connection as connection

    url, schema = warehouse
    engine = open_warehouse(url, schema)
    frame = pd.DataFrame({
        "day": ["2026-03-03", None, "2026-01-02"], "text": ['a,"b"\nc \\N', "", None],
        "count": pd.array([1, None, 2**40], dtype="Int64"), "share": [1 / 3, np.nan, 1e-7],
        "flag": [True, None, False],
        "at": pd.to_datetime(["2026-03-03T01:02:03.5Z", None, "2026-03-03T00:00:00Z"], utc=True, format="ISO8601"),
    })
    table = sa.Table("copy_paths", sa.MetaData(), sa.Column("day", sa.Date), sa.Column("text", sa.Text),
                     sa.Column("count", sa.BigInteger), sa.Column("share", sa.Float), sa.Column("flag", sa.Boolean),
                     sa.Column("at", sa.DateTime(timezone=True)),
                     schema=schema if engine.dialect.name == "postgresql" else None)
    read = []
    for by_rows in (False, True):
        if by_rows:
            monkeypatch.setattr(connection, "_csv_chunks", lambda frame: None)
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
            assert bulk_insert(conn, "copy_paths", frame) == 3
        with engine.connect() as conn:
            read.append([tuple(row) for row in conn.execute(sa.select(table))])
    assert read[0] == read[1]
    first, second, third = read[0]
    assert str(first[0]) == "2026-03-03" and first[1] == 'a,"b"\nc \\N' and first[2] == 1 and first[4] is True
    assert second[1] == "" and second[2:5] == (None, None, None) and second[0] is None and second[5] is None
    assert third[1] is None and third[2] == 2**40 and third[3] == 1e-7 and third[4] is False
    written = pd.Timestamp(first[5])
    assert (written if written.tzinfo else written.tz_localize("UTC")) == pd.Timestamp("2026-03-03T01:02:03.5Z")
    engine.dispose()


def test_rows_for_a_bulk_write_hold_plain_python_values_and_none_for_every_kind_of_missing():
    at = pd.Timestamp("2026-03-02T09:15:00Z")
    frame = pd.DataFrame({
        "text": pd.Series(["a", None, np.nan, pd.NA], dtype=object),
        "when": pd.Series([date(2026, 3, 2), datetime(2026, 3, 2, 1, 2, 3), None, "2026-03-04"], dtype=object),
        "stamps": pd.Series([at, pd.NaT, at.to_pydatetime(), None], dtype=object),
        "arrow_text": pd.array(["x", None, "z", ""], dtype="str"),
        "count": pd.array([1, None, 2**40, 0], dtype="Int64"),
        "share": [0.5, np.nan, 2.0, -0.0],
        "flag": [True, False, True, False],
        "maybe": pd.array([True, None, False, None], dtype="boolean"),
        "at": pd.to_datetime(["2026-03-02T09:15:00Z", None, "2026-03-02T09:15:00.25Z", "2026-03-03T00:00:00Z"],
                             utc=True, format="ISO8601"),
    })
    rows = _python_rows(frame)
    assert rows == [
        ("a", "2026-03-02", "2026-03-02T09:15:00+00:00", "x", 1, 0.5, True, True, "2026-03-02T09:15:00+00:00"),
        (None, "2026-03-02T01:02:03", None, None, None, None, False, None, None),
        (None, None, "2026-03-02T09:15:00+00:00", "z", 2**40, 2.0, True, False, "2026-03-02T09:15:00.250000+00:00"),
        (None, "2026-03-04", None, "", 0, -0.0, False, None, "2026-03-03T00:00:00+00:00"),
    ]
    # What the drivers bind: Python's own types, never NumPy's.
    assert {type(value) for row in rows for value in row} == {str, int, float, bool, type(None)}
    assert _python_rows(frame.iloc[:0]) == [] and _python_rows(pd.DataFrame()) == []


def test_sqlite_connections_get_a_large_page_cache_only_while_bulk_writing(tmp_path):
    engine = open_warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -65536  # 64 MiB
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
        bulk_insert(conn, "t", pd.DataFrame({"a": [1, 2]}))
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -524288  # 512 MiB
    with engine.connect() as conn:  # the same pooled connection, handed back
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -65536
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 2
    engine.dispose()


_INSTANTS = st.lists(st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                                                       max_value=pd.Timestamp("2060-01-01").to_pydatetime())),
                     max_size=40)


@settings(max_examples=200, deadline=None)
@given(_INSTANTS, st.booleans(), st.booleans())
def test_timestamps_are_written_as_isoformat_writes_them(instants, utc, whole_seconds):
    """Each distinct instant is formatted once: same text as Timestamp.isoformat, microseconds
    only when there are some, missing values as None, naive and UTC columns alike."""
    column = pd.Series(pd.to_datetime(instants, utc=utc), dtype=f"datetime64[us{', UTC' if utc else ''}]")
    if whole_seconds:
        column = column.dt.floor("s")
    expected = [None if pd.isna(ts) else ts.isoformat() for ts in column]
    assert _iso_timestamps(column).tolist() == expected
