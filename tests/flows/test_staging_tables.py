"""Warehouse staging tables as a source: the seed tables of Fivetran's dbt packages (public data made
by others, tests/fixtures/fivetran/README.md) landed in SQLite and PostgreSQL as the loader lands
them, read through the shipped mappings (config/sources/) for a run date picked by _fivetran_synced;
rows read per table, mapped values, deleted records left out; a missing table or column and an
unknown value fail in one line naming the source, table and column, with nothing written; a night
runs from them end to end."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from flows.cli import app
from tasks.errors import ConfigError, ExtractError
from tasks.intake.contract import ACTIVITY_TYPES
from tasks.intake.extract import read_extract
from tasks.intake.staging import SOURCES_DIR, StagingSource, load_mapping
from tests.conftest import drop_schema, read_sql

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fivetran"
SEEDS = {
    "hubspot": {"contact": "contact_data.csv", "engagement": "engagement_data.csv",
                "engagement_contact": "engagement_contact_data.csv", "email_event": "email_event_data.csv"},
    "salesforce": {"lead": "sf_lead_history_data.csv", "contact": "sf_contact_data.csv",
                   "task": "sf_task_history_data.csv", "event": "sf_event_history_data.csv",
                   "campaign_member": "sf_campaign_member_data.csv", "opportunity": "sf_opportunity_data.csv"},
}
RECIPIENT = "o2wjpPyUfzBfq9OSt9I2NQ=="  # the recipient of the seed's e-mail events of 2020-03-16
HUBSPOT = SOURCES_DIR / "fivetran_hubspot.yaml"
SALESFORCE = SOURCES_DIR / "fivetran_salesforce.yaml"


def land(url: str, schema: str | None, source: str, extra: dict[str, dict[str, dict[str, str]]] | None = None
         ) -> None:
    """Create the seed tables as the loader does: text columns, _fivetran_synced a timestamp on
    PostgreSQL (Fivetran's type there; SQLite has none), empty values NULL; `extra`: per table,
    columns the seed lacks, with their values by record id."""
    postgres = url.startswith("postgresql")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if schema:
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        for table, name in SEEDS[source].items():
            with (FIXTURES / source / name).open(encoding="utf-8", newline="") as handle:
                header, *rows = list(csv.reader(handle))
            added = (extra or {}).get(table, {})
            at = header.index("id") if added else 0
            header, rows = [*header, *added], [[*row, *(values.get(row[at], "") for values in added.values())]
                                               for row in rows]
            keep = [i for i, column in enumerate(header) if column not in header[:i]]

            def typed(column: str, value: str):
                if not value:
                    return None
                if postgres and column == "_fivetran_synced":
                    return pd.Timestamp(value.removesuffix(" UTC"), tz="UTC").to_pydatetime()
                return value

            columns = [sa.Column(header[i], sa.DateTime(timezone=True) if postgres and header[i] == "_fivetran_synced"
                                 else sa.Text) for i in keep]
            landed = sa.Table(table, sa.MetaData(), *columns, schema=schema)
            landed.create(conn)
            conn.execute(landed.insert(), [{header[i]: typed(header[i], row[i]) for i in keep} for row in rows])
    engine.dispose()


def add_contact(url: str, schema: str | None, contact_id: str, email: str, synced: str) -> None:
    """One contact of the test's own (the seed's contacts and e-mail events are unrelated)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        contact = sa.Table("contact", sa.MetaData(), autoload_with=conn, schema=schema)
        when = pd.Timestamp(synced, tz="UTC").to_pydatetime() if url.startswith("postgresql") else synced
        conn.execute(contact.insert(), [{"id": contact_id, "property_email": email, "_fivetran_synced": when,
                                         "_fivetran_deleted": "FALSE", "property_createdate": "2020-03-01 10:00:00",
                                         "property_firstname": "Ada", "property_lastname": "Lovelace"}])
    engine.dispose()


def mark_deleted(url: str, schema: str | None, table: str, flag: str, record_id: str) -> None:
    """Flag a record deleted, as the loader does when the CRM deletes it."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        landed = sa.Table(table, sa.MetaData(), autoload_with=conn, schema=schema)
        conn.execute(landed.update().where(landed.c.id == record_id).values({flag: "TRUE"}))
    engine.dispose()


@pytest.fixture
def source_db(warehouse, tmp_path):
    """(URL, schema) of a database to land seed tables in: a SQLite file, or a fresh PostgreSQL
    schema (the warehouse fixture's, dropped afterwards)."""
    url, schema = warehouse
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'source.db'}", None
    return url, schema


def variant(tmp_path: Path, shipped: Path, edit) -> Path:
    """A copy of a shipped mapping with `edit` applied to its YAML data."""
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / f"edited-{shipped.name}"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def hubspot_readable(data: dict) -> None:
    """The shipped HubSpot mapping without what the seeds lack (engagement.timestamp, deal_stage)."""
    data["activities"] = [t for t in data["activities"] if t["table"] != "engagement"]
    del data["outcomes"]


def test_hubspot_seed_tables_read_as_the_contract(source_db, tmp_path):
    url, schema = source_db
    land(url, schema, "hubspot")
    mark_deleted(url, schema, "contact", "_fivetran_deleted", "36842001")
    add_contact(url, schema, "900001", RECIPIENT, "2020-03-16 09:00:00")
    source = StagingSource(variant(tmp_path, HUBSPOT, hubspot_readable), url, schema)

    day = read_extract(source, date(2021, 4, 2))
    assert day.counts == {"leads.contact": {"synced": 20, "deleted": 1, "not_mapped": 0, "read": 19},
                          "activities.email_event": {"synced": 0, "deleted": 0, "not_mapped": 0, "read": 0}}
    leads = day.leads.set_index("source_lead_id")
    assert len(leads) == 19 and "36842001" not in leads.index
    assert leads.loc["78971951"].to_dict() == {
        "source_system": "hubspot", "created_at": "2021-04-01 17:32:47",
        "email": "fcb67ef339b691956cc85fa12be6490c", "first_name": "db320f93ead463e1a2faee198cd9a122",
        "last_name": "22370ea245fce0b355938327d41bd1e4", "company": "SampleCompany", "job_title": None,
        "annual_revenue": "111111"}
    assert day.frames["outcomes"] is None and len(day.frames["activities"]) == 0
    # The two contacts synced on 2021-03-22 only.
    assert sorted(read_extract(source, date(2021, 3, 22)).leads["source_lead_id"]) == ["76226001", "76340251"]

    events = read_extract(source, date(2020, 3, 16))
    assert events.counts["activities.email_event"] == {"synced": 16, "deleted": 0, "not_mapped": 10, "read": 6}
    opens = events.frames["activities"]
    assert set(opens["activity_type"]) == {"email_open"} and set(opens["source_lead_id"]) == {"900001"}
    assert sorted(opens["activity_id"])[:2] == ["0e442bf1-26be-3f07-8b50-5c02724ad803",
                                                "44472747-7682-3766-92b0-24008479a5bf"]
    first = opens.set_index("activity_id").loc["0e442bf1-26be-3f07-8b50-5c02724ad803"]
    assert (first["occurred_at"], first["asset"]) == ("2020-03-16 19:03:20.357 UTC", "2")


def test_a_mapping_may_give_the_activities_value_as_an_optional_column(source_db, tmp_path):
    """The optional `value` measure maps like any optional column: read as text when the table has
    the column (here the seed's numeric app_id stands in for a duration), left out when not."""
    url, schema = source_db
    land(url, schema, "hubspot")
    add_contact(url, schema, "900001", RECIPIENT, "2020-03-16 09:00:00")

    def with_value(column):
        def edit(data):
            hubspot_readable(data)
            data["activities"][0].setdefault("optional", {})["value"] = column
        return edit

    measured = read_extract(StagingSource(variant(tmp_path, HUBSPOT, with_value("app_id")), url, schema),
                            date(2020, 3, 16)).frames["activities"]
    assert len(measured) == 6 and set(measured["value"]) == {"2286"}
    absent = read_extract(StagingSource(variant(tmp_path, HUBSPOT, with_value("duration")), url, schema),
                          date(2020, 3, 16)).frames["activities"]
    assert len(absent) == 6 and "value" not in absent.columns


def test_hubspot_lifecycle_stage_reads_as_the_crms_own_mql_flag(source_db, tmp_path):
    url, schema = source_db
    lifecycle = {"property_lifecyclestage": {"78971951": "marketingqualifiedlead", "36842001": "marketingqualifiedlead",
                                             "76226001": "customer", "46897301": "Lead"},
                 "property_hs_lifecyclestage_marketingqualifiedlead_date": {"78971951": "2021-04-01 18:00:00",
                                                                            "36842001": "2021-04-01 18:00:00"}}
    land(url, schema, "hubspot", {"contact": lifecycle})
    mark_deleted(url, schema, "contact", "_fivetran_deleted", "36842001")

    def lifecycle_only(data: dict) -> None:
        hubspot_readable(data)
        data["outcomes"] = [t for t in yaml.safe_load(HUBSPOT.read_text())["outcomes"] if t["table"] == "contact"]

    source = StagingSource(variant(tmp_path, HUBSPOT, lifecycle_only), url, schema)
    day = read_extract(source, date(2021, 4, 2))
    assert day.counts["outcomes.contact"] == {"synced": 20, "deleted": 1, "not_mapped": 18, "read": 1}
    assert day.frames["outcomes"].to_dict("records") == [
        {"source_system": "hubspot", "source_lead_id": "78971951", "occurred_at": "2021-04-01 18:00:00",
         "status": "mql"}]
    # A portal whose contacts lack the lifecycle property: the table gives no outcomes, and no error.
    plain = tmp_path / "plain"
    plain_url = f"sqlite:///{plain}.db" if url.startswith("sqlite") else url
    plain_schema = None if url.startswith("sqlite") else schema + "_plain"
    land(plain_url, plain_schema, "hubspot")
    try:
        bare = read_extract(StagingSource(source.mapping_path, plain_url, plain_schema), date(2021, 4, 2))
    finally:
        if plain_schema:
            drop_schema(url, plain_schema)
    assert bare.counts["outcomes.contact"] == {"synced": 0, "deleted": 0, "not_mapped": 0, "read": 0}
    assert len(bare.frames["outcomes"]) == 0 and len(bare.leads) == 20


def test_missing_columns_tables_and_unknown_values_are_one_line(source_db, tmp_path):
    url, schema = source_db
    land(url, schema, "hubspot")
    where = f" in schema {schema}" if schema else ""
    with pytest.raises(ExtractError) as missing_column:
        read_extract(StagingSource(HUBSPOT, url, schema), date(2021, 4, 2))
    assert str(missing_column.value) == "hubspot: table engagement has no column timestamp (activities.occurred_at)"

    no_engagement = variant(tmp_path, HUBSPOT, lambda d: d["activities"].pop(0))
    with pytest.raises(ExtractError) as missing_table:
        read_extract(StagingSource(no_engagement, url, schema), date(2021, 4, 2))
    assert str(missing_table.value) == f"hubspot: table deal_stage{where} does not exist (outcomes mapping)"

    def forget_open(data):
        hubspot_readable(data)
        del data["activities"][0]["values"]["activity_type"]["map"]["OPEN"]
    add_contact(url, schema, "900001", RECIPIENT, "2020-03-16 09:00:00")
    unknown = variant(tmp_path, HUBSPOT, forget_open)
    with pytest.raises(ExtractError) as unknown_value:
        read_extract(StagingSource(unknown, url, schema), date(2020, 3, 16))
    assert str(unknown_value.value) == (f"hubspot: table email_event, column type: value 'OPEN' is not in the "
                                        f"mapping's activity_type values ({unknown})")


def test_salesforce_seed_tables_read_as_the_contract(source_db):
    url, schema = source_db
    land(url, schema, "salesforce")
    source = StagingSource(SALESFORCE, url, schema)

    day = read_extract(source, date(2019, 11, 11))
    assert day.counts == {
        "leads.lead": {"synced": 1, "deleted": 0, "not_mapped": 0, "read": 1},
        "leads.contact": {"synced": 0, "deleted": 0, "not_mapped": 0, "read": 0},
        # Tasks without a call type are a rep's to-dos; of the events, meetings are the lead's.
        "activities.task": {"synced": 10, "deleted": 0, "not_mapped": 10, "read": 0},
        "activities.event": {"synced": 10, "deleted": 0, "not_mapped": 6, "read": 4},
        "activities.campaign_member": {"synced": 0, "deleted": 0, "not_mapped": 0, "read": 0},
        "outcomes.opportunity": {"synced": 0, "deleted": 0, "not_mapped": 0, "read": 0},
    }
    lead = day.leads.iloc[0].to_dict()
    assert {k: lead[k] for k in ("source_system", "source_lead_id", "created_at", "email", "first_name", "last_name",
                                 "company", "industry", "annual_revenue", "email_consent", "phone")} == {
        "source_system": "salesforce", "source_lead_id": "00Q1G00000nDnM5UAK", "created_at": "2019-11-11 17:23:34",
        "email": "h@gmail.com", "first_name": "H", "last_name": "Croc", "company": "Z",
        "industry": "Internet Software & Services", "annual_revenue": "280522000", "email_consent": "true",
        "phone": None}
    meetings = day.frames["activities"].sort_values("activity_id")
    assert meetings[["activity_id", "source_lead_id", "activity_type"]].values.tolist() == [
        ["00U1G00000DEQL7UAP", "0031G00001QY3kmQAD", "demo_request"],
        ["00U1G00000DEQM0UAP", "0031G00001QXdxXQAT", "demo_request"],
        ["00U1G00000DEQNmUAP", "0031G00001QY4G5QAL", "demo_request"],
        ["00U1G00000DEQP2UAP", "0031G00001QXl7WQAT", "demo_request"]]

    members = read_extract(source, date(2024, 1, 15))
    assert members.counts["activities.campaign_member"] == {"synced": 5, "deleted": 0, "not_mapped": 3, "read": 2}
    assert members.frames["activities"][["source_lead_id", "activity_type", "campaign"]].values.tolist() == [
        ["cont001AAAAAAA", "form_submit", "camp001AAA000001"], ["lead002AAAAAAA", "form_submit", "camp002AAA000002"]]

    # The seed's contact of 2019-04-04 has is_deleted `RUE`: not a flag, the date is refused.
    with pytest.raises(ExtractError) as bad_flag:
        read_extract(source, date(2019, 4, 4))
    assert str(bad_flag.value) == "salesforce: table contact, column is_deleted: value 'RUE' is not a true/false flag"


def test_mappings_are_validated_when_loaded(tmp_path):
    assert [t.table for t in load_mapping(SALESFORCE).activities] == ["task", "event", "campaign_member"]

    def bad(edit, expected: str) -> None:
        with pytest.raises(ConfigError) as error:
            load_mapping(variant(tmp_path, HUBSPOT, edit))
        assert str(error.value).endswith(expected), str(error.value)

    bad(lambda d: d["activities"][1]["values"]["activity_type"]["map"].update(OPEN="email_read"),
        "activities.1: Value error, table email_event: values.activity_type: email_read not one of "
        + ", ".join(ACTIVITY_TYPES))
    bad(lambda d: d["leads"][0]["columns"].pop("created_at"),
        "Value error, leads: table contact: no column for created_at")
    bad(lambda d: d["leads"][0]["values"]["email_consent"]["map"].update({"maybe": None}),
        "table contact: values.email_consent: only activity_type and status may map a value to null "
        "(the row is left out)")
    bad(lambda d: d["leads"][0]["columns"].update(score="hs_score"),
        "Value error, leads: table contact: score not in the leads contract")


@pytest.mark.usefixtures("prefect_api")
def test_nights_run_from_salesforce_tables_and_an_unknown_value_writes_nothing(in_schema, tmp_path, monkeypatch):
    """SQLite: the source is a file of its own (MQL_SOURCE_URL); PostgreSQL: a schema of the
    warehouse's own database (MQL_SOURCE_URL unset, MQL_SOURCE_SCHEMA)."""
    url, schema = in_schema
    if url.startswith("sqlite"):
        source_url = f"sqlite:///{tmp_path / 'source.db'}"
        land(source_url, None, "salesforce")
        monkeypatch.setenv("MQL_SOURCE_URL", source_url)
    else:
        source_schema = schema + "_sf"
        land(url, source_schema, "salesforce")
        monkeypatch.delenv("MQL_SOURCE_URL", raising=False)
        monkeypatch.setenv("MQL_SOURCE_SCHEMA", source_schema)
    runner = CliRunner()
    try:
        no_meeting = variant(tmp_path, SALESFORCE,
                             lambda d: d["activities"][1]["values"]["activity_type"]["map"].pop("Meeting"))
        refused = runner.invoke(app, ["run", "--date", "2019-11-11", "--extracts", f"mapping:{no_meeting}",
                                      "--warehouse", url])
        assert refused.exit_code == 2, refused.output
        # The command's own answer is one line (Prefect's log lines above it are its own).
        assert [line for line in refused.output.splitlines() if line.startswith("error:")] == [
            f"error: salesforce: table event, column type: value 'Meeting' is not in the mapping's activity_type "
            f"values ({no_meeting})"], refused.output
        assert read_sql(url, "SELECT count(*) AS n FROM leads", schema)["n"][0] == 0
        assert read_sql(url, "SELECT count(*) AS n FROM activities", schema)["n"][0] == 0

        # 2019-11-10: nothing synced (no_data); 2019-11-11: the lead, its day's tasks and events.
        ran = runner.invoke(app, ["backfill", "--start", "2019-11-10", "--end", "2019-11-11", "--extracts",
                                  "mapping:fivetran_salesforce", "--warehouse", url])
        assert ran.exit_code == 0, ran.output
        leads = read_sql(url, "SELECT i.source_system, i.source_lead_id, l.email, l.company, l.first_mql_at "
                              "FROM leads l JOIN lead_identities i ON i.lead_id = l.lead_id", schema)
        # Not an MQL: no first_mql_at (a day without any MQL once wrote the text NaT there)
        assert leads.values.tolist() == [["salesforce", "00Q1G00000nDnM5UAK", "h@gmail.com", "Z", None]]
        # The four meetings are with contacts the warehouse does not know: kept, without a lead.
        activities = read_sql(url, "SELECT activity_id, activity_type, lead_id FROM activities ORDER BY activity_id",
                              schema)
        assert activities.values.tolist() == [[a, "demo_request", None] for a in (
            "00U1G00000DEQL7UAP", "00U1G00000DEQM0UAP", "00U1G00000DEQNmUAP", "00U1G00000DEQP2UAP")]
        runs = read_sql(url, "SELECT run_date, status, error, parameters FROM runs ORDER BY started_at", schema)
        assert runs[["run_date", "status"]].astype(str).values.tolist() == [
            ["2019-11-11", "failed"], ["2019-11-10", "no_data"], ["2019-11-11", "succeeded"]]
        assert "value 'Meeting' is not in the mapping" in runs["error"][0]  # the refused run's audit row
        assert "no rows synced that day in the tables of mapping:fivetran_salesforce" in runs["error"][1]
        assert '"extracts_dir": "mapping:fivetran_salesforce"' in runs["parameters"][2]
        # What each table gave the night, beside the run's other counts.
        source = read_sql(url, "SELECT c.metric, c.value FROM run_counts c JOIN runs r ON r.run_id = c.run_id "
                               "WHERE c.stage = 'source' AND r.status = 'succeeded'", schema)
        assert dict(source.values.tolist()) == {
            f"{table}:{metric}": n for table, numbers in {
                "leads.lead": (1, 0, 0, 1), "leads.contact": (0, 0, 0, 0), "activities.task": (10, 0, 10, 0),
                "activities.event": (10, 0, 6, 4), "activities.campaign_member": (0, 0, 0, 0),
                "outcomes.opportunity": (0, 0, 0, 0)}.items()
            for metric, n in zip(("synced", "deleted", "not_mapped", "read"), numbers)}
    finally:
        if not url.startswith("sqlite"):
            drop_schema(url, source_schema)


@pytest.mark.usefixtures("prefect_api")
def test_a_night_from_hubspot_tables_rejects_the_seeds_hashed_contacts_with_reasons(tmp_path, monkeypatch):
    """The seed's contacts carry hashes for addresses and names: screened out as junk, each with
    its reasons, none lost; the one flagged deleted is not read at all."""
    source_url, warehouse = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'warehouse.db'}"
    land(source_url, None, "hubspot")
    mark_deleted(source_url, None, "contact", "_fivetran_deleted", "36842001")
    monkeypatch.setenv("MQL_SOURCE_URL", source_url)
    mapping = variant(tmp_path, HUBSPOT, hubspot_readable)
    ran = CliRunner().invoke(app, ["run", "--date", "2021-04-02", "--extracts", f"mapping:{mapping}",
                                   "--warehouse", warehouse])
    assert ran.exit_code == 0, ran.output
    rejected = read_sql(warehouse, "SELECT source_lead_id, reasons FROM rejected_leads ORDER BY source_lead_id")
    assert len(rejected) == 19 and "36842001" not in set(rejected["source_lead_id"])
    assert set(rejected["reasons"]) == {"invalid_email;gibberish_name"}
    assert read_sql(warehouse, "SELECT count(*) AS n FROM leads")["n"][0] == 0
    counts = read_sql(warehouse, "SELECT stage, metric, value FROM run_counts WHERE stage IN ('source', 'conservation')")
    stored = {(s, m): v for s, m, v in counts.values.tolist()}
    assert stored.items() >= {("source", "leads.contact:deleted"): 1, ("source", "leads.contact:read"): 19,
                              ("conservation", "leads_in"): 19, ("conservation", "rejected"): 19}.items()


def test_an_unreachable_source_or_missing_mapping_is_one_line_without_the_password(tmp_path):
    with pytest.raises(ExtractError) as unreachable:
        read_extract(StagingSource(SALESFORCE, "postgresql+psycopg://reader:s3cret-pw@127.0.0.1:1/crm", None,
                                   location="mapping:fivetran_salesforce"), date(2019, 11, 11))
    message = str(unreachable.value)
    assert message.startswith("source database postgresql+psycopg://reader:***@127.0.0.1:1/crm "
                              "(mapping:fivetran_salesforce): ")
    assert "s3cret-pw" not in message and "\n" not in message
    with pytest.raises(ConfigError) as missing:
        load_mapping(tmp_path / "nowhere.yaml")
    assert str(missing.value) == f"{tmp_path / 'nowhere.yaml'}: source mapping file not found"
