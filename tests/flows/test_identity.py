"""Identity resolution across run dates on both databases: a record with no shared key is
matched to an existing lead by name and company, the merge is in the ledger, and `mql unmerge`
splits it back, re-running from the merge so both leads are scored from their own activity."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill
from flows.settings import CONFIG_DIR
from tasks.identity.training import load_linkage_model
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


ANN_EMAIL = {"source_lead_id": "a1", "email": "ann.lee@acme.com", "first_name": "Ann", "last_name": "Lee",
             "company": "Acme", "country": "US"}
ANN_PHONE = {"source_lead_id": "b1", "source_system": "marketo", "phone": "+1 415 555 0101", "first_name": "Ann",
             "last_name": "Lee", "country": "US"}
ANN_BOTH = {"source_lead_id": "c1", "source_system": "salesforce", "email": "ann.lee@acme.com",
            "phone": "+1 415 555 0101", "first_name": "Ann", "last_name": "Lee", "company": "Acme", "country": "US",
            "job_title": "VP Marketing"}
# A look-alike: the bridging record holds Dan's address and Erin's phone (a shared line): the names
# clash, so the phone link is vetoed and Dan's and Erin's leads stay apart.
DAN = {"source_lead_id": "d1", "email": "dan.ross@globex.com", "first_name": "Dan", "last_name": "Ross",
       "company": "Globex", "country": "US"}
ERIN = {"source_lead_id": "e1", "source_system": "marketo", "phone": "+1 415 555 0199", "first_name": "Erin",
        "last_name": "Cole", "country": "US"}
DAN_SHARED = {"source_lead_id": "f1", "source_system": "salesforce", "email": "dan.ross@globex.com",
              "phone": "+1 415 555 0199", "first_name": "Dan", "last_name": "Ross", "country": "US"}
TABLES = ("leads", "lead_history", "lead_identities", "lead_match_keys", "lead_merges", "lead_moves", "lead_scores",
          "mql_events", "nurture_enrollments", "activities", "sales_outcomes", "handoffs")


def snapshot(url: str, schema: str) -> dict[str, list]:
    """Every row of the tables a run writes, in a fixed order (values as text)."""
    out = {}
    for table in TABLES:
        frame = read_sql(url, f"SELECT * FROM {table}", schema)
        out[table] = sorted(tuple("" if v is None or v != v else str(v) for v in row)
                            for row in frame.itertuples(index=False, name=None))
    return out


def test_a_record_proving_two_leads_one_person_merges_them_and_unmerge_restores_both(in_schema, tmp_path,
                                                                                      monkeypatch):
    """Ann is known by her address alone (a1, day 0) and by her phone alone (b1, day 1), as two
    leads; on day 2 a record with both proves them one person: the older lead absorbs the other,
    with its records, activities and keys; her engagement is recomputed from the combined activity
    (the pricing page's daily cap holds across both), not summed; `mql unmerge --lead` restores
    both; re-running the dates gives the same tables."""
    url, schema = in_schema
    extracts = tmp_path / "x"
    day1 = f"{FIRST_DAY + timedelta(days=1)}T10:0"
    write_day(extracts, 0, [ANN_EMAIL, DAN], [])
    write_day(extracts, 1, [ANN_PHONE, ERIN], [
        {**activity("a1", 1, "pricing_page_view"), "occurred_at": f"{day1}1:00Z"},
        {**activity("a1", 2, "pricing_page_view"), "occurred_at": f"{day1}2:00Z"},
        {**activity("b1", 3, "pricing_page_view"), "source_system": "marketo", "occurred_at": f"{day1}3:00Z"},
        {**activity("b1", 4, "pricing_page_view"), "source_system": "marketo", "occurred_at": f"{day1}4:00Z"},
        {**activity("b1", 5, "demo_request"), "source_system": "marketo", "occurred_at": f"{day1}5:00Z"}])
    write_day(extracts, 2, [ANN_BOTH, DAN_SHARED], [])
    last = FIRST_DAY + timedelta(days=2)
    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=1), extracts_dir=str(extracts),
             warehouse_url=url)
    a_lead, b_lead = lead_of(url, schema, "a1"), lead_of(url, schema, "b1")
    assert a_lead != b_lead
    before = read_sql(url, "SELECT lead_id, engagement_score FROM leads", schema).set_index("lead_id")
    week = 0.5 ** (1 / 14)  # a day's decay under the model's half-life of 14 days
    assert before.loc[a_lead, "engagement_score"] == pytest.approx(20 * week ** 0, abs=1e-9)
    assert before.loc[b_lead, "engagement_score"] == pytest.approx(60, abs=1e-9)

    backfill(start_date=last, end_date=last, extracts_dir=str(extracts), warehouse_url=url)
    # The older lead (Ann by email, day 0) absorbed the other, with every record.
    assert {lead_of(url, schema, r) for r in ("a1", "b1", "c1")} == {a_lead}
    leads = read_sql(url, "SELECT * FROM leads", schema).set_index("lead_id")
    assert b_lead not in leads.index and len(leads) == 3  # Ann, Dan, Erin
    ann = leads.loc[a_lead]
    assert (ann["email"], ann["phone_e164"], ann["job_title"]) == ("ann.lee@acme.com", "+14155550101", "VP Marketing")
    # Engagement from the combined activity: four pricing views on one day are capped at 20 as
    # one person's (summed scores would count 40), the demo request 40; both a day old.
    assert ann["engagement_score"] == pytest.approx(60 * week, abs=1e-9)
    assert ann["engagement_score"] < before.loc[a_lead, "engagement_score"] * week + 60 * week
    activities = read_sql(url, "SELECT DISTINCT lead_id FROM activities", schema)
    assert activities["lead_id"].tolist() == [a_lead]
    moves = read_sql(url, "SELECT * FROM lead_moves", schema)
    assert moves[["source_lead_id", "from_lead_id", "to_lead_id"]].values.tolist() == [["b1", b_lead, a_lead]]
    assert str(moves["run_date"][0])[:10] == str(last)
    bridge = read_sql(url, "SELECT * FROM lead_merges WHERE matched_lead_id = :b", schema, b=b_lead)
    assert bridge[["source_lead_id", "matched_source_lead_id", "lead_id", "rule"]].values.tolist() == [
        ["c1", "b1", a_lead, "phone"]]
    assert json.loads(bridge["evidence"][0])["phone"] == 12.0
    keys = read_sql(url, "SELECT lead_id, COUNT(*) AS n FROM lead_match_keys GROUP BY lead_id", schema)
    assert a_lead in set(keys["lead_id"])
    # The look-alike stays apart: Dan's address and Erin's phone on one record with Dan's name.
    assert lead_of(url, schema, "f1") == lead_of(url, schema, "d1") != lead_of(url, schema, "e1")
    # explain on the absorbed lead says where it went.
    result = CliRunner().invoke(app, ["explain", "--lead", b_lead, "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert f"merged into lead {a_lead} on {last}" in result.output

    # Re-running the merge's date, and all dates, gives the same tables.
    merged = snapshot(url, schema)
    backfill(start_date=last, end_date=last, extracts_dir=str(extracts), warehouse_url=url)
    assert snapshot(url, schema) == merged
    backfill(start_date=FIRST_DAY, end_date=last, extracts_dir=str(extracts), warehouse_url=url)
    assert snapshot(url, schema) == merged
    # So does the merge's date with its per-lead stages in two partitions on a Dask cluster: the
    # absorbed lead's state goes to its absorber's partition.
    monkeypatch.setenv("MQL_LEAD_PARTITIONS", "2")
    backfill(start_date=last, end_date=last, extracts_dir=str(extracts), warehouse_url=url)
    assert snapshot(url, schema) == merged
    monkeypatch.delenv("MQL_LEAD_PARTITIONS")

    # Unmerge: Ann by phone is split from the lead that absorbed her, for good; both are rebuilt
    # from their own records and activity.
    result = CliRunner().invoke(app, ["unmerge", "--lead", b_lead, "--by", "ops@example.com", "--reason",
                                      "two people", "--extracts", str(extracts), "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert f"merged on {last}" in result.output
    assert lead_of(url, schema, "b1") == b_lead and lead_of(url, schema, "a1") == lead_of(url, schema, "c1") == a_lead
    after = read_sql(url, "SELECT lead_id, engagement_score FROM leads", schema).set_index("lead_id")
    assert after.loc[a_lead, "engagement_score"] == pytest.approx(20 * week, abs=1e-9)
    assert after.loc[b_lead, "engagement_score"] == pytest.approx(60, abs=1e-9)  # as day 1 left it, its own
    assert read_sql(url, "SELECT COUNT(*) AS n FROM lead_moves", schema)["n"][0] == 0
    splits = read_sql(url, "SELECT source_lead_id, other_source_lead_id FROM lead_splits ORDER BY 2", schema)
    assert splits.values.tolist() == [["b1", "a1"], ["b1", "c1"]]
    assert read_sql(url, "SELECT DISTINCT lead_id FROM activities WHERE source_lead_id = 'b1'",
                    schema)["lead_id"].tolist() == [b_lead]
def test_a_declared_date_of_birth_links_what_the_match_fields_alone_would_not(in_schema, tmp_path, monkeypatch):
    url, schema = in_schema
    config = tmp_path / "dedupe.yaml"
    config.write_text((CONFIG_DIR / "dedupe.yaml").read_text().replace("match_columns: {}", (
        "match_columns:\n  birth_date: {source: date_of_birth, normalise: date}\n")).replace(
        "  comparisons:\n", "  comparisons:\n    - {name: birth_date, method: date, columns: [birth_date], agree: 4.0, "
        "transposed: 1.5, days: [{days: 3, weight: 1.0}], same_year: -1.0, disagree: -4.0}\n", 1))
    monkeypatch.setenv("MQL_DEDUPE_CONFIG_PATH", str(config))
    extracts = tmp_path / "x"
    # Day 1: "J. Miller" at Acme; day 2: Jonathan Miller at Acme, from a private address. Name
    # (initial 1 + surname 5), company 5, country 0.5 and a different email -1: 10.5, under 12.
    # The date of birth (a custom attribute of the extract) agrees: +4.
    j = {"source_lead_id": "j1", "email": "jm@acme-widgets.com", "first_name": "J", "last_name": "Miller",
         "company": "Acme Widgets", "country": "DE", "date_of_birth": "1980-03-04"}
    jonathan = {"source_lead_id": "j2", "email": "jonny1980@gmail.com", "first_name": "Jonathan",
                "last_name": "Miller", "company": "Acme Widgets", "country": "DE", "date_of_birth": " 1980-03-04 "}
    other = {"source_lead_id": "j3", "email": "jm1975@gmail.com", "first_name": "Jonathan", "last_name": "Miller",
             "company": "Acme Widgets", "country": "DE", "date_of_birth": "1975-11-20"}
    write_day(extracts, 0, [j], [])
    write_day(extracts, 1, [jonathan, other], [])
    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=1), extracts_dir=str(extracts),
             warehouse_url=url)

    assert lead_of(url, schema, "j2") == lead_of(url, schema, "j1")    # matched on the stored date of birth
    assert lead_of(url, schema, "j3") != lead_of(url, schema, "j1")    # another birth date: another person
    stored = read_sql(url, "SELECT source_lead_id, match_extra FROM lead_identities ORDER BY source_lead_id", schema)
    assert stored["match_extra"].tolist() == ['{"birth_date": "1980-03-04"}', '{"birth_date": "1980-03-04"}',
                                              '{"birth_date": "1975-11-20"}']
    merge = read_sql(url, "SELECT * FROM lead_merges WHERE source_lead_id = 'j2'", schema).iloc[0]
    evidence = json.loads(merge["evidence"])
    assert merge["rule"] == "fuzzy" and merge["matched_lead_id"] == lead_of(url, schema, "j1")
    assert evidence["birth_date"] == 4.0 and evidence["name"] == 6.0 and evidence["company"] == 5.0
    assert merge["score"] == pytest.approx(14.5) and merge["score"] - evidence["birth_date"] < 12.0

    # `mql identity train` learns the declared comparison from the lead base: the stored dates of
    # birth are read back (of three records' pairs at random, a third agree: j1 and j2).
    result = CliRunner().invoke(app, ["identity", "train", "--warehouse", url, "--out", str(tmp_path / "model.yaml")])
    assert result.exit_code == 0, result.output
    model = load_linkage_model(tmp_path / "model.yaml")
    assert model.trained_on["source"] == "lead base (3 records)"
    assert model.probabilities["u"]["birth_date"]["agree"] == pytest.approx(1 / 3, abs=0.02)
    assert [c.method for c in model.linkage.comparisons if c.name == "birth_date"] == ["date"]


# Ann again, as two leads: by her address (a1, day 0, no title: a lead) and by her phone (b1, day 1,
# with a title that fits: an MQL that day, an SQL the next).
ANN_LEAD = {**ANN_EMAIL}
ANN_MQL = {**ANN_PHONE, "job_title": "VP Marketing", "industry": "Software", "employee_count": "500"}


def at(value: object) -> pd.Timestamp | None:
    """A warehouse timestamp (text on SQLite) as a UTC timestamp."""
    return None if value is None or value != value else pd.Timestamp(str(value)).tz_convert("UTC")


def test_a_merged_person_keeps_the_most_advanced_lifecycle_of_both_leads(in_schema, tmp_path, monkeypatch):
    """The older lead (a1) is a lead; the younger one (b1) became an MQL on day 1 and an SQL on day 2.
    When a record of day 3 proves them one person, the survivor carries the SQL stage with its
    date, b1's first MQL and a1's first run date, and the topics of both, before the day's
    qualification: no second MQL event and no hand-off for the person. explain says where the
    stage came from; re-running the dates gives the same tables; unmerge gives each lead its own."""
    url, schema = in_schema
    extracts = tmp_path / "x"
    days = [FIRST_DAY + timedelta(days=d) for d in range(4)]
    write_day(extracts, 0, [ANN_LEAD], [{**activity("a1", 1, "content_download"), "asset": "/guides/lead-scoring"}])
    write_day(extracts, 1, [ANN_MQL], [{**activity("b1", 5, "demo_request"), "source_system": "marketo",
                                        "occurred_at": f"{days[1]}T10:05:00Z", "asset": "/analytics-demo"}])
    write_day(extracts, 2, [DAN], [])
    pd.DataFrame([{"source_system": "marketo", "source_lead_id": "b1", "occurred_at": f"{days[2]}T11:00:00Z",
                   "status": "opportunity", "reason": ""}]).to_csv(extracts / str(days[2]) / "outcomes.csv",
                                                                    index=False)
    write_day(extracts, 3, [ANN_BOTH], [])
    backfill(start_date=days[0], end_date=days[2], extracts_dir=str(extracts), warehouse_url=url)
    a_lead, b_lead = lead_of(url, schema, "a1"), lead_of(url, schema, "b1")
    lifecycle = "SELECT lead_id, lifecycle_stage, stage_changed_at, first_mql_at, last_mql_at, first_run_date, " \
                "interests FROM leads"
    before = read_sql(url, lifecycle, schema).set_index("lead_id")
    assert before.loc[a_lead, "lifecycle_stage"] == "lead" and at(before.loc[a_lead, "first_mql_at"]) is None
    assert before.loc[b_lead, "lifecycle_stage"] == "sql"
    assert at(before.loc[b_lead, "first_mql_at"]) == pd.Timestamp(f"{days[1]}T10:05:00Z")
    b_row = snapshot(url, schema)["leads"]
    b_row = [row for row in b_row if row[0] == b_lead]
    events = "SELECT lead_id, run_date, from_stage, to_stage, cause FROM mql_events ORDER BY run_date, seq"
    own_events = read_sql(url, events, schema)

    backfill(start_date=days[3], end_date=days[3], extracts_dir=str(extracts), warehouse_url=url)
    assert {lead_of(url, schema, r) for r in ("a1", "b1", "c1")} == {a_lead}
    ann = read_sql(url, lifecycle, schema).set_index("lead_id").loc[a_lead]
    assert ann["lifecycle_stage"] == "sql"
    assert at(ann["stage_changed_at"]) == pd.Timestamp(f"{days[2]}T11:00:00Z")   # b1's opportunity
    assert at(ann["first_mql_at"]) == at(ann["last_mql_at"]) == pd.Timestamp(f"{days[1]}T10:05:00Z")
    assert str(ann["first_run_date"])[:10] == str(days[0])
    assert json.loads(ann["interests"]) == ["analytics", "lead_scoring"]
    # No lifecycle event and no hand-off for the merged person on the merge's date: b1 was handed
    # over on day 1 already; what the leads were stays under their own ids.
    after_events = read_sql(url, events, schema)
    assert after_events.equals(own_events)
    assert after_events[after_events["lead_id"] == a_lead][["to_stage", "cause"]].values.tolist() == [["lead", "new"]]
    handed = read_sql(url, "SELECT lead_id, run_date, to_stage FROM handoffs ORDER BY run_date", schema)
    assert [(lead, str(day)[:10], stage) for lead, day, stage in handed[["lead_id", "run_date", "to_stage"]].values
            ] == [(b_lead, str(days[1]), "mql"), (b_lead, str(days[2]), "sql")]
    # The funnel counts the person once, with the milestones b1 reached: an MQL on day 1, an SQL on day 2.
    journeys = "SELECT lead_id, lifecycle_stage, mql_at, sql_at, reached_mql, reached_sql FROM lead_journeys"
    journey = read_sql(url, journeys, schema).set_index("lead_id")
    assert b_lead not in journey.index
    assert (journey.loc[a_lead, "lifecycle_stage"], journey.loc[a_lead, "reached_mql"],
            journey.loc[a_lead, "reached_sql"]) == ("sql", 1, 1)
    assert (at(journey.loc[a_lead, "mql_at"]), at(journey.loc[a_lead, "sql_at"])) == (
        pd.Timestamp(f"{days[1]}T10:05:00Z"), pd.Timestamp(f"{days[2]}T11:00:00Z"))
    # explain on the survivor (and through the absorbed lead) says where the stage came from.
    line = (f"lead {a_lead} absorbed lead {b_lead} on {days[3]}: stage sql (since {days[2]} 11:00 UTC) taken "
            f"from lead {b_lead}, over lead {a_lead}'s own lead; first MQL at {days[1]} 10:05 UTC taken from lead "
            f"{b_lead}")
    for lead in (a_lead, b_lead):
        result = CliRunner().invoke(app, ["explain", "--lead", lead, "--warehouse", url])
        assert result.exit_code == 0, result.output
        assert line in result.output.replace("\n", " ")
    result = CliRunner().invoke(app, ["explain", "--lead", a_lead, "--date", str(days[2]), "--warehouse", url])
    assert result.exit_code == 0 and "absorbed" not in result.output

    # Re-running the merge's date, every date, and the merge's date in two partitions: the same tables.
    merged = snapshot(url, schema)
    backfill(start_date=days[3], end_date=days[3], extracts_dir=str(extracts), warehouse_url=url)
    assert snapshot(url, schema) == merged
    backfill(start_date=days[0], end_date=days[3], extracts_dir=str(extracts), warehouse_url=url)
    assert snapshot(url, schema) == merged
    monkeypatch.setenv("MQL_LEAD_PARTITIONS", "2")
    backfill(start_date=days[3], end_date=days[3], extracts_dir=str(extracts), warehouse_url=url)
    assert snapshot(url, schema) == merged
    monkeypatch.delenv("MQL_LEAD_PARTITIONS")

    # Unmerge: b1's lead is back as day 2 left it, an SQL; a1's lead has only its own lifecycle.
    result = CliRunner().invoke(app, ["unmerge", "--lead", b_lead, "--by", "ops@example.com", "--reason",
                                      "two people", "--extracts", str(extracts), "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert [row for row in snapshot(url, schema)["leads"] if row[0] == b_lead] == b_row
    apart = read_sql(url, lifecycle, schema).set_index("lead_id")
    assert apart.loc[a_lead, "lifecycle_stage"] != "sql" and at(apart.loc[a_lead, "first_mql_at"]) != at(
        before.loc[b_lead, "first_mql_at"])
    assert read_sql(url, events, schema).query("lead_id == @b_lead").equals(own_events.query("lead_id == @b_lead"))
    journey = read_sql(url, journeys, schema).set_index("lead_id")
    assert (journey.loc[b_lead, "reached_sql"], journey.loc[a_lead, "reached_sql"]) == (1, 0)
