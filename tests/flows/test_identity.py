"""Identity resolution across run dates on both databases: a record with no shared key is
matched to an existing lead by name and company, the merge is in the ledger, and `mql unmerge`
splits it back, re-running from the merge so both leads are scored from their own activity."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill
from tests.conftest import FIRST_DAY, read_sql
from tests.flows.test_lifecycle import activity, write_day

pytestmark = pytest.mark.usefixtures("prefect_api")


def lead_of(url: str, schema: str, source_lead_id: str) -> str:
    return read_sql(url, "SELECT lead_id FROM lead_identities WHERE source_lead_id = :id", schema,
                    id=source_lead_id)["lead_id"][0]


def test_fuzzy_match_against_the_lead_base_then_unmerge(in_schema, tmp_path):
    url, schema = in_schema
    extracts = tmp_path / "x"
    jonathan = {"source_lead_id": "a1", "email": "jonathan.miller@northwind.com", "first_name": "Jonathan",
                "last_name": "Miller", "company": "Northwind Traders GmbH", "city": "Berlin", "country": "DE"}
    # Day 1: the same person as a nickname, with a personal address and the company written
    # otherwise; a colleague with the same surname; a switchboard number shared with him.
    jon = {"source_lead_id": "b1", "source_system": "marketo", "email": "jonny.m@gmail.com", "first_name": "Jon",
           "last_name": "Miller", "company": "NORTHWIND TRADERS", "city": "Berlin", "country": "DE",
           "phone": "+49 30 1234567"}
    sarah = {"source_lead_id": "c1", "email": "sarah.miller@northwind.com", "first_name": "Sarah",
             "last_name": "Miller", "company": "Northwind Traders", "city": "Berlin", "country": "DE",
             "phone": "+49 30 1234567"}
    write_day(extracts, 0, [jonathan], [activity("a1", 1, "pricing_page_view")])
    write_day(extracts, 1, [jon, sarah], [{**activity("b1", 2, "demo_request"), "source_system": "marketo",
                                           "occurred_at": f"{FIRST_DAY + timedelta(days=1)}T10:02:00Z"}])
    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=1), extracts_dir=str(extracts),
             warehouse_url=url)

    assert lead_of(url, schema, "b1") == lead_of(url, schema, "a1")  # matched against the warehouse
    assert lead_of(url, schema, "c1") != lead_of(url, schema, "a1")  # colleague and switchboard: apart
    merges = read_sql(url, "SELECT * FROM lead_merges", schema)
    assert len(merges) == 1
    merge = merges.iloc[0]
    assert (merge["source_lead_id"], merge["matched_lead_id"], merge["rule"]) == ("b1", lead_of(url, schema, "a1"),
                                                                                    "fuzzy")
    evidence = json.loads(merge["evidence"])
    assert evidence["name"] == 8.0 and evidence["company"] == 5.0 and merge["score"] == pytest.approx(
        sum(evidence.values()))
    assert set(merge["keys"].split(";")) >= {"name_company"}
    scores = read_sql(url, "SELECT lead_id, engagement_score FROM leads", schema).set_index("lead_id")
    merged_engagement = scores.loc[lead_of(url, schema, "a1"), "engagement_score"]

    result = CliRunner().invoke(app, ["unmerge", "--source-system", "marketo", "--source-lead-id", "b1",
                                      "--by", "ops@example.com", "--reason", "different person",
                                      "--extracts", str(extracts), "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert f"merged on {FIRST_DAY + timedelta(days=1)}" in result.output
    a_lead, b_lead = lead_of(url, schema, "a1"), lead_of(url, schema, "b1")
    assert a_lead != b_lead
    assert read_sql(url, "SELECT count(*) AS n FROM lead_merges", schema)["n"][0] == 0
    splits = read_sql(url, "SELECT * FROM lead_splits", schema)
    assert splits[["source_lead_id", "other_source_lead_id", "requested_by"]].values.tolist() == [
        ["b1", "a1", "ops@example.com"]]
    # Both leads are rescored from their own activity: the demo request now counts for b1 only.
    after = read_sql(url, "SELECT lead_id, engagement_score FROM leads", schema).set_index("lead_id")
    assert after.loc[b_lead, "engagement_score"] > 0
    assert after.loc[a_lead, "engagement_score"] < merged_engagement
    assert after.loc[a_lead, "engagement_score"] + after.loc[b_lead, "engagement_score"] == pytest.approx(
        merged_engagement, abs=1.0)

    # A second unmerge of the same record finds nothing to split; an unknown record is one line.
    again = CliRunner().invoke(app, ["unmerge", "--source-system", "marketo", "--source-lead-id", "b1",
                                     "--by", "ops", "--reason", "x", "--warehouse", url, "--no-rerun"])
    assert again.exit_code == 2 and "nothing to unmerge" in again.output
    unknown = CliRunner().invoke(app, ["unmerge", "--source-system", "x", "--source-lead-id", "nope",
                                       "--by", "ops", "--reason", "x", "--warehouse", url])
    assert unknown.exit_code == 2 and unknown.output.count("\n") == 1 and "no loaded record x/nope" in unknown.output
