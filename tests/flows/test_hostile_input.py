"""Hostile values are stored as inert data, never executed, and never crash a run."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from flows.nightly import nightly
from flows.settings import PROJECT_ROOT as ROOT
from tasks.errors import ExtractError
from tasks.warehouse.connection import open_warehouse
from tests.conftest import FIRST_DAY, contribution_rows, read_sql, read_table

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
    assert summary.counts["conservation"] == {"leads_in": 5, "written": 2, "merged": 0, "rejected": 1,
                                              "quarantined": 2, "erased": 0}
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
    assert "eve@acme.com" not in by_email.index
    assert set_aside["disposition"].tolist() == ["quarantined", "rejected", "quarantined"]
    assert set_aside["reasons"][0] == "email, phone, name: none that tells who the person is"
    assert "gibberish_name" in set_aside["reasons"][1]
    assert json.loads(set_aside["raw"][1])["first_name"] == FORMULA
    # Bytes that are not UTF-8 quarantine their row, shown as written, never turned into U+FFFD.
    assert set_aside["row_number"][2] == 4 and set_aside["reasons"][2] == "line 6: bytes that are not UTF-8 (in first_name)"
    assert json.loads(set_aside["raw"][2])["first_name"] == "Eve\\xff\\xfe"


# Extra columns named like columns the stages add.
INTERNAL = ("lead_id", "row_number", "bot_reason", "reasons", "custom_attributes", "_created_at_utc", "fit_score",
            "disposition", "email_key", "custom", "_released_row", "_read_error", "_raw_line")


def test_extra_columns_with_internal_names_are_custom_attributes_a_rule_can_score(in_schema, tmp_path):
    url, schema = in_schema
    day = tmp_path / "extracts" / str(FIRST_DAY)
    day.mkdir(parents=True)
    header = ["source_system", "source_lead_id", "created_at", "email", "first_name", "last_name", *INTERNAL]
    with (day / "leads.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(["hubspot", "1", f"{FIRST_DAY}T10:00:00Z", "ann@acme.com", "Ann", "Lee",
                         *[f"{name}-value" for name in INTERNAL]])
        writer.writerow(["hubspot", "2", f"{FIRST_DAY}T10:00:00Z", "bo@beta.io", "Bo", "Xu", *[""] * len(INTERNAL)])
    with (day / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "activity_id", "source_lead_id", "occurred_at", "activity_type",
                         "lead_id", "bot_reason"])
        writer.writerow(["hubspot", "a-1", "1", f"{FIRST_DAY}T11:00:00Z", "demo_request", "someone-else", "bot"])
    model = tmp_path / "model.yaml"
    model.write_text((ROOT / "config" / "scoring_model.yaml").read_text(encoding="utf-8").replace(
        "  rules:\n    - {name: industry_core",
        "  rules:\n    - {name: tagged_lead, field: lead_id, op: equals, value: lead_id-value, points: 7}\n"
        "    - {name: industry_core", 1), encoding="utf-8")

    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(tmp_path / "extracts"), warehouse_url=url,
                      model_path=str(model))
    assert summary.counts["conservation"] == {"leads_in": 2, "written": 2, "merged": 0, "rejected": 0,
                                              "quarantined": 0, "erased": 0}
    leads = read_sql(url, "SELECT lead_id, email, custom_attributes FROM leads ORDER BY email", schema)
    assert json.loads(leads["custom_attributes"][0]) == {name: f"{name}-value" for name in INTERNAL}
    assert json.loads(leads["custom_attributes"][1]) == {}
    assert leads["lead_id"][0] != "lead_id-value"
    rules = contribution_rows(read_table(url, "lead_scores", schema))
    rules = rules[rules["kind"] == "fit"]
    assert rules.loc[rules["rule"] == "tagged_lead", "lead_id"].tolist() == [leads["lead_id"][0]]
    activities = read_sql(url, "SELECT lead_id, bot_reason FROM activities", schema)
    assert activities.to_dict("records") == [{"lead_id": leads["lead_id"][0], "bot_reason": None}]


def test_a_ragged_row_is_quarantined_alone_in_a_real_run(in_schema, tmp_path):
    url, schema = in_schema
    day = tmp_path / str(FIRST_DAY)
    day.mkdir()
    lines = ["source_system,source_lead_id,created_at,email,phone,first_name,last_name"]
    lines += [f"hubspot,{i},{FIRST_DAY}T10:00:00Z,p{i}@firm{i}.com,,Pat,Lee{chr(97 + i)}" for i in range(4)]
    lines[2] += ",surplus"
    (day / "leads.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = nightly(run_date=FIRST_DAY, extracts_dir=str(tmp_path), warehouse_url=url)
    assert summary.counts["conservation"] == {"leads_in": 4, "written": 3, "merged": 0, "rejected": 0,
                                              "quarantined": 1, "erased": 0}
    emails = read_sql(url, "SELECT email, last_name FROM leads ORDER BY email", schema)
    assert emails.to_dict("records") == [{"email": f"p{i}@firm{i}.com", "last_name": f"Lee{chr(97 + i)}"}
                                         for i in (0, 2, 3)]
    set_aside = read_sql(url, "SELECT row_number, disposition, reasons, raw FROM rejected_leads", schema)
    assert set_aside.to_dict("records") == [{
        "row_number": 1, "disposition": "quarantined", "reasons": "line 3: 8 field(s) where the header has 7",
        "raw": json.dumps({"line": lines[2]})}]


@pytest.mark.parametrize("leads_text, message", [
    ("source_system,source_lead_id,created_at,email,email\nhubspot,1,2026-03-02T10:00:00Z,a@b.co,+14155550100\n",
     "leads.csv: repeated column name(s) in the header: email"),
    ("source_system;source_lead_id;created_at;email\nhubspot;1;2026-03-02T10:00:00Z;a@b.co\n",
     "leads.csv: the header looks ;-delimited; the contract is comma-separated CSV"),
], ids=["repeated-name", "semicolons"])
def test_a_broken_header_fails_the_run_in_one_line_and_writes_nothing(in_schema, tmp_path, leads_text, message):
    url, schema = in_schema
    day = tmp_path / str(FIRST_DAY)
    day.mkdir()
    (day / "leads.csv").write_text(leads_text, encoding="utf-8")
    with pytest.raises(ExtractError) as caught:
        nightly(run_date=FIRST_DAY, extracts_dir=str(tmp_path), warehouse_url=url)
    assert str(caught.value) == f"{day / 'leads.csv'}: {message.split(': ', 1)[1]}"
    runs = read_sql(url, "SELECT status, error FROM runs", schema)
    assert runs.to_dict("records") == [{"status": "failed", "error": str(caught.value)}]
    assert read_sql(url, "SELECT count(*) AS n FROM leads", schema)["n"][0] == 0
