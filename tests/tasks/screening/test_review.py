"""Review and release of rejected leads against real warehouses (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from tasks.errors import MqlError
from tasks.intake.extract import Extract
from tasks.screening.fraud import RELEASED, RETURNING
from tasks.identity.blocking import HashKey, key_hashes
from tasks.screening.review import (
    RELEASED_ROW, mark_known, mask_email, pending_releases, release, released_rows_in, review_day,
    with_released_rows,
)
from tasks.warehouse.connection import bulk_insert, open_warehouse, query

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
NOW = datetime(2026, 3, 3, 9, 30, tzinfo=timezone.utc)

KEY = HashKey.derive("the test warehouse secret")


def set_aside(row_number: int, disposition: str, lead_id: str, reasons: str, email: str | None = None,
              run_date: date = D1) -> dict[str, object]:
    raw = {"source_system": "hubspot", "source_lead_id": lead_id, "created_at": f"{run_date}T10:00:00Z",
           "email": email}
    return {"run_date": run_date.isoformat(), "row_number": row_number, "disposition": disposition,
            "source_system": "hubspot", "source_lead_id": lead_id, "reasons": reasons,
            "raw": json.dumps(raw)}


@pytest.fixture
def engine(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    with engine.begin() as conn:
        bulk_insert(conn, "rejected_leads", pd.DataFrame([
            set_aside(0, "rejected", "h-1", "disposable_domain;form_too_fast", "jane.roe@mailinator.com"),
            set_aside(3, "quarantined", "h-2", "_created_at_utc: expect_column_values_to_not_be_null"),
            set_aside(5, "rejected", "h-3", "honeypot", "bot@spam.example"),
            set_aside(1, "rejected", "h-9", "honeypot", run_date=D2),
        ]))
        bulk_insert(conn, "quarantined_rows", pd.DataFrame([{
            "run_date": D1.isoformat(), "file": "activities", "row_number": 7,
            "reasons": "activity_type: expect_column_values_to_be_in_set",
            "raw": json.dumps({"source_system": "hubspot", "source_lead_id": "h-5", "activity_type": "x"}),
        }]))
        bulk_insert(conn, "lead_match_keys", pd.DataFrame([
            {"key_hash": int(key_hashes(key_type, [value], key=KEY)[0]), "lead_id": lead, "run_date": day.isoformat()}
            for key_type, value, lead, day in [("email", "ann@acme.com", "L1", D1), ("phone", "+14155552671", "L2", D1),
                                               ("email", "late@acme.com", "L3", D2)]
        ]))
    yield engine
    engine.dispose()


def test_review_lists_the_days_rows_by_reason_with_emails_masked(engine):
    with engine.connect() as conn:
        found = review_day(conn, D1)
    assert found.by_reason.to_dict(orient="records") == [
        {"kind": "activities", "disposition": "quarantined",
         "reason": "activity_type: expect_column_values_to_be_in_set", "rows": 1, "released": 0},
        {"kind": "leads", "disposition": "quarantined",
         "reason": "_created_at_utc: expect_column_values_to_not_be_null", "rows": 1, "released": 0},
        {"kind": "leads", "disposition": "rejected", "reason": "disposable_domain", "rows": 1, "released": 0},
        {"kind": "leads", "disposition": "rejected", "reason": "form_too_fast", "rows": 1, "released": 0},
        {"kind": "leads", "disposition": "rejected", "reason": "honeypot", "rows": 1, "released": 0},
    ]
    rows = found.rows.set_index("source_lead_id")
    assert rows.loc["h-1", "email"] == "j***@mailinator.com"
    assert "jane" not in found.rows.to_string()
    assert rows.loc["h-5", "kind"] == "activities"
    assert set(found.rows["source_lead_id"]) == {"h-1", "h-2", "h-3", "h-5"}  # not h-9 of another day


def test_release_is_audited_and_shows_in_the_review(engine):
    with engine.begin() as conn:
        done = release(conn, "hubspot", "h-1", "ops@acme", "a real customer on a throwaway address", NOW)
    assert done["rejected_run_date"] == D1.isoformat() and done["reasons"] == "disposable_domain;form_too_fast"
    with engine.connect() as conn:
        stored = query(conn, "find_release", {"source_system": "hubspot", "source_lead_id": "h-1"})
        found = review_day(conn, D1)
    assert stored["released_by"].tolist() == ["ops@acme"]
    assert stored["note"].tolist() == ["a real customer on a throwaway address"]
    assert found.rows.set_index("source_lead_id").loc["h-1", "released_by"] == "ops@acme"
    by_reason = found.by_reason.set_index("reason")["released"]
    assert by_reason["disposable_domain"] == 1 and by_reason["honeypot"] == 0


@pytest.mark.parametrize(("lead_id", "by", "note", "message"), [
    ("h-2", "ops", "why", "no rejected lead hubspot/h-2"),      # quarantined: validation's business
    ("nope", "ops", "why", "no rejected lead hubspot/nope"),
    ("h-3", " ", "why", "needs who (--by) and why (--note)"),
    ("h-3", "ops", "", "needs who (--by) and why (--note)"),
])
def test_release_refuses_what_it_cannot_release(engine, lead_id, by, note, message):
    with engine.begin() as conn, pytest.raises(MqlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        release(conn, "hubspot", lead_id, by, note, NOW)


def test_a_lead_is_released_once(engine):
    with engine.begin() as conn:
        release(conn, "hubspot", "h-3", "ops", "checked by phone", NOW)
    with engine.begin() as conn, pytest.raises(MqlError, match="already released by ops"):
        release(conn, "hubspot", "h-3", "someone else", "again", NOW)


def test_pending_releases_wait_for_the_next_run_and_stop_once_loaded(engine):
    with engine.begin() as conn:
        release(conn, "hubspot", "h-1", "ops", "real", NOW)
    day = pd.DataFrame({"source_system": ["hubspot"], "source_lead_id": ["other"]})
    with engine.connect() as conn:
        assert pending_releases(conn, D1, day).empty                 # the rejection's own date: no
        rows = pending_releases(conn, D2, day)
        assert rows["source_lead_id"].tolist() == ["h-1"] and rows["email"].tolist() == ["jane.roe@mailinator.com"]
        # The source sent the record again that day: that copy goes through instead.
        assert pending_releases(conn, D2, day.assign(source_lead_id="h-1")).empty
    with engine.begin() as conn:
        bulk_insert(conn, "lead_identities", pd.DataFrame([{
            "source_system": "hubspot", "source_lead_id": "h-1", "lead_id": "L9", "run_date": D2.isoformat(),
            "match_rule": "new"}]))
    with engine.connect() as conn:
        assert len(pending_releases(conn, D2, day)) == 1             # re-running D2 loads it again
        assert pending_releases(conn, D3, day).empty                 # loaded on D2: done


def test_released_rows_join_the_extract_marked():
    leads = pd.DataFrame({"source_system": ["hubspot"], "source_lead_id": ["a"], "email": ["a@x.com"]}, dtype=object)
    extract = Extract(run_date=D2, folder=None, frames={"leads": leads, "activities": None})
    assert with_released_rows(extract, pd.DataFrame()) is extract
    released = pd.DataFrame({"source_system": ["hubspot"], "source_lead_id": ["h-1"], "honeypot": ["x"]})
    joined = with_released_rows(extract, released)
    assert joined.leads["source_lead_id"].tolist() == ["a", "h-1"]
    assert joined.leads[RELEASED_ROW].tolist() == [None, True]
    assert joined.leads["email"].tolist() == ["a@x.com", None]
    assert released_rows_in(joined.leads) == 1 and released_rows_in(leads) == 0
    assert joined.frames["activities"] is None


def test_mark_known_finds_returning_contacts_and_releases_as_known_before_the_run_date(engine):
    with engine.begin() as conn:
        release(conn, "hubspot", "h-3", "ops", "ok", NOW)
    candidates = pd.DataFrame({
        "source_system": ["hubspot", "hubspot", "marketo", "hubspot"],
        "source_lead_id": ["n-1", "n-2", "h-3", "h-3"],
        "email_key": ["ann@acme.com", "late@acme.com", None, "new@acme.com"],
        "phone_e164": [None, None, "+14155552671", None],
    }, dtype=object)
    with engine.connect() as conn:
        marked = mark_known(conn, candidates, D2, KEY)
    assert marked[RETURNING].tolist() == [True, False, True, False]  # late@ is known only from D2 on
    assert marked[RELEASED].tolist() == [False, False, False, True]  # released per source system


@pytest.mark.parametrize(("email", "masked"), [
    ("maria.garcia@acme.com", "m***@acme.com"), (" X@y.io ", "X***@y.io"), ("nope", ""), (None, ""),
])
def test_mask_email(email, masked):
    assert mask_email(email) == masked
