"""`explain` on a source record that never became a lead says when and why it was set aside."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tasks.errors import MqlError
from tasks.reporting.explain import explain
from tasks.warehouse.connection import bulk_insert, open_warehouse


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
            with pytest.raises(MqlError) as caught:
                explain(conn, "hubspot/hs-9", pd.Timestamp.max.date())
            assert str(caught.value) == (
                "hubspot/hs-9 is no lead: rejected on 2026-03-02 (disposable_domain; test_entry); quarantined on "
                "2026-03-04 (created_at: not a timestamp) (mql review --date 2026-03-04 lists it)")
            with pytest.raises(MqlError, match="no lead 'hubspot/hs-10'"):
                explain(conn, "hubspot/hs-10", pd.Timestamp.max.date())
    finally:
        engine.dispose()
