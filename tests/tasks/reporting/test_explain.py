"""`explain` on a source record that never became a lead says when and why it was set aside."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tasks.errors import MqlError
from tasks.reporting.explain import explain
from tasks.warehouse.connection import bulk_insert, open_warehouse


def why_not(engine, lead: str) -> str:
    """What explain says of a record that is no lead."""
    with engine.connect() as conn:
        with pytest.raises(MqlError) as caught:
            explain(conn, lead, pd.Timestamp.max.date())
    return str(caught.value)


def test_a_rejected_record_is_explained_by_its_rejections(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    rows = pd.DataFrame({
        "run_date": ["2026-03-02", "2026-03-04"], "row_number": [7, 3], "disposition": ["rejected", "quarantined"],
        "source_system": ["hubspot", "hubspot"], "source_lead_id": ["hs-9", "hs-9"],
        "reasons": ["disposable_domain; test_entry", "created_at: not a timestamp"],
        "raw": [json.dumps({"email": "x@mailinator.com"})] * 2,
    })
    with engine.begin() as conn:
        bulk_insert(conn, "rejected_leads", rows)
    try:
        with engine.connect() as conn:
            assert why_not(engine, "hubspot/hs-9") == (
                "hubspot/hs-9 is no lead: rejected on 2026-03-02 (disposable_domain; test_entry); quarantined on "
                "2026-03-04 (created_at: not a timestamp) (mql review --date 2026-03-04 lists it); a quarantined "
                "record cannot be released: correct it in the source system, and the next extract that carries it "
                "is validated again")
            with pytest.raises(MqlError, match="no lead 'hubspot/hs-10'"):
                explain(conn, "hubspot/hs-10", pd.Timestamp.max.date())
    finally:
        engine.dispose()


def test_a_rejected_record_says_how_to_release_it_and_whether_it_was(warehouse):
    from datetime import datetime, timezone

    from tasks.screening.review import release

    url, schema = warehouse
    engine = open_warehouse(url, schema)
    with engine.begin() as conn:
        bulk_insert(conn, "rejected_leads", pd.DataFrame({
            "run_date": ["2026-03-05"], "row_number": [2], "disposition": ["rejected"], "source_system": ["crm"],
            "source_lead_id": ["c 1"], "reasons": ["honeypot"], "raw": [json.dumps({"email": "a@b.example"})]}))
    try:
        assert why_not(engine, "crm/c 1") == (
            "crm/c 1 is no lead: rejected on 2026-03-05 (honeypot) (mql review --date 2026-03-05 lists it); to let "
            "it through, mql release --source-system crm --source-lead-id 'c 1' --by <who> --note <why>")
        with engine.begin() as conn:
            release(conn, "crm", "c 1", "ana", "a real customer", datetime(2026, 3, 6, 9, tzinfo=timezone.utc))
        with engine.connect() as conn:
            with pytest.raises(MqlError, match=r"\(honeypot\) .*; released by ana at 2026-03-06 09:00:00.*: the next "
                                               r"run lets it through$"):
                explain(conn, "crm/c 1", pd.Timestamp.max.date())
    finally:
        engine.dispose()
