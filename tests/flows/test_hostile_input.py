"""Hostile values are stored as inert data, never executed, and never crash a run."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from flows.nightly import nightly
from tasks.warehouse import open_warehouse
from tests.conftest import FIRST_DAY

pytestmark = pytest.mark.usefixtures("prefect_api")
INJECTION = "Acme'); DROP TABLE leads; --"
FORMULA = '=HYPERLINK("http://evil.example","click")'
LONG = "x" * 10_000


def test_hostile_values_are_stored_verbatim_or_set_aside(in_schema, tmp_path):
    url, schema = in_schema
    day = tmp_path / str(FIRST_DAY)
    day.mkdir()
    rows = [
        {"source_lead_id": "1", "email": "ann@acme.com", "first_name": "Ann", "company": INJECTION,
         "job_title": "VP \U0001F680 \u202eMarketing\u202c", "city": "Tel\x00Aviv"},
        {"source_lead_id": "2", "email": "bo@beta.io", "first_name": "Bo", "last_name": "Xu", "company": FORMULA,
         "job_title": LONG, "industry": "مايكروسوفت"},
        {"source_lead_id": "3", "email": "", "phone": "", "first_name": FORMULA},
        {"source_lead_id": "4", "email": "mallory@evil.example", "first_name": FORMULA, "last_name": "Smith"},
    ]
    with (day / "leads.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["source_system", "source_lead_id", "created_at", "email", "phone",
                                                    "first_name", "last_name", "company", "job_title", "city",
                                                    "industry"])
        writer.writeheader()
        for row in rows:
            writer.writerow({"source_system": "hubspot", "created_at": f"{FIRST_DAY}T10:00:00Z", **row})
    with (day / "leads.csv").open("ab") as handle:  # a row with bytes that are not UTF-8
        handle.write(f"hubspot,5,{FIRST_DAY}T10:00:00Z,eve@acme.com,,Eve\xff\xfe,Lee,Acme,,,\n".encode("latin-1"))

    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(tmp_path), warehouse_url=url)
    assert summary.counts["conservation"] == {"leads_in": 5, "written": 3, "merged": 0, "rejected": 1,
                                              "quarantined": 1, "erased": 0}
    engine = open_warehouse(url, schema)
    with engine.connect() as conn:
        leads = pd.DataFrame(conn.execute(sa.text("SELECT email, company, job_title, city, industry, first_name "
                                                  "FROM leads ORDER BY email")).mappings().all())
        set_aside = pd.DataFrame(conn.execute(sa.text("SELECT row_number, disposition, reasons, raw "
                                                      "FROM rejected_leads ORDER BY row_number")).mappings().all())
    engine.dispose()
    by_email = leads.set_index("email")
    assert by_email.loc["ann@acme.com", "company"] == INJECTION
    assert by_email.loc["ann@acme.com", "job_title"] == "VP \U0001F680 \u202eMarketing\u202c"
    assert by_email.loc["ann@acme.com", "city"] == "TelAviv"          # NUL bytes cannot be stored as text
    assert by_email.loc["bo@beta.io", "company"] == FORMULA and by_email.loc["bo@beta.io", "job_title"] == LONG
    assert by_email.loc["bo@beta.io", "industry"] == "مايكروسوفت"
    assert by_email.loc["eve@acme.com", "first_name"] == "Eve\ufffd\ufffd"  # undecodable bytes replaced, kept
    assert set_aside["disposition"].tolist() == ["quarantined", "rejected"]
    assert "_has_contact" in set_aside["reasons"][0] or "contact" in set_aside["reasons"][0]
    assert "gibberish_name" in set_aside["reasons"][1]
    assert json.loads(set_aside["raw"][1])["first_name"] == FORMULA
