"""Deleted source records retire their lead: the Salesforce seed's lead (tests/fixtures/fivetran),
with a contact of the same person, landed in SQLite and PostgreSQL; later versions of their rows
flag them deleted (`is_deleted`, as a loader in history mode keeps each version) and back. A lead
is retired only once none of its records is live, with an audit row naming the record, the date
and the flag; it is then not scored or enrolled (its enrollment exits `source_deleted`), and a
record live again restores it. Re-running a date undoes and redoes all of it exactly."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from tasks.warehouse.retirement import decide
from tests.conftest import drop_schema, read_sql
from tests.flows.test_staging_tables import land

SEED_LEAD = "00Q1G00000nDnM5UAK"  # the seed's lead of 2019-11-11 (h@gmail.com, H Croc, company Z)
CONTACT = "0031G00009HCROCAA"     # a contact of the same person, the test's own


def add_version(url: str, schema: str | None, table: str, base_id: str, synced: str, **values: str) -> None:
    """A later version of a seed row (`base_id`) synced at `synced` with `values` changed, as a
    loader in history mode lands it (each version a row of its own)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        landed = sa.Table(table, sa.MetaData(), autoload_with=conn, schema=schema)
        row = dict(conn.execute(sa.select(landed).where(landed.c.id == base_id)).mappings().first())
        when = pd.Timestamp(synced, tz="UTC").to_pydatetime() if url.startswith("postgresql") else synced
        conn.execute(landed.insert(), [{**row, **values, "_fivetran_synced": when}])
    engine.dispose()


def test_decide_retires_a_lead_only_when_none_of_its_records_is_live():
    """The decision alone: records a, b of lead L; c of lead M (retired before), live again today."""
    records = pd.DataFrame({"lead_id": ["L", "L"], "source_system": ["sf", "sf"], "source_lead_id": ["a", "b"],
                            "deleted": [None, True]})
    deleted = pd.DataFrame({"source_system": ["sf"], "source_lead_id": ["a"], "source_table": ["lead"],
                            "flag": ["is_deleted"]})
    live = pd.DataFrame({"source_system": ["sf"], "source_lead_id": ["c"], "lead_id": ["M"]})
    states, rows, retired, left_out = decide(
        date(2024, 1, 2), deleted, live, deleted_leads=records[records["source_lead_id"] == "a"],
        live_before=pd.DataFrame({"source_system": ["sf"], "source_lead_id": ["c"], "deleted": [1]}),
        lead_records=records, retired_before=pd.Series(["M", "N"]), touched=pd.Series(["M", "N"]))
    assert states.values.tolist() == [["2024-01-02", "sf", "a", True, "lead", "is_deleted"],
                                      ["2024-01-02", "sf", "c", False, None, None]]
    assert rows.values.tolist() == [["2024-01-02", "L", "retired", "sf", "a", "lead", "is_deleted"],
                                    ["2024-01-02", "M", "restored", "sf", "c", None, None]]
    assert retired.tolist() == ["L"] and left_out.tolist() == ["L", "N"]
    # b live: deleting a does not retire L.
    _, rows, retired, left_out = decide(
        date(2024, 1, 2), deleted, live.iloc[:0], deleted_leads=records.iloc[:1], live_before=live.iloc[:0]
        .assign(deleted=[]), lead_records=records.assign(deleted=[None, None]), retired_before=pd.Series([], dtype=object),
        touched=pd.Series([], dtype=object))
    assert rows.empty and retired.empty and left_out.empty


def plain(value: object) -> object:
    """A value read back, the same from either database: dates as ISO text, missing as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.isoformat() if isinstance(value, date) else value


def run(*args: str) -> None:
    ran = CliRunner().invoke(app, list(args))
    assert ran.exit_code == 0, ran.output


@pytest.mark.usefixtures("prefect_api")
def test_deleted_records_retire_their_lead_and_a_rerun_redoes_it_exactly(in_schema, tmp_path, monkeypatch):
    url, schema = in_schema
    if url.startswith("sqlite"):
        source_url, source_schema = f"sqlite:///{tmp_path / 'source.db'}", None
        monkeypatch.setenv("MQL_SOURCE_URL", source_url)
    else:
        source_url, source_schema = url, schema + "_sf"
        monkeypatch.delenv("MQL_SOURCE_URL", raising=False)
        monkeypatch.setenv("MQL_SOURCE_SCHEMA", source_schema)
    try:
        land(source_url, source_schema, "salesforce")
        # 2019-11-11: the seed's lead, and a contact of the same person (same address): one lead.
        add_version(source_url, source_schema, "contact", "0033700000JmrFPAA", "2019-11-11 18:00:00",
                    id=CONTACT, email="h@gmail.com", first_name="H", last_name="Croc", is_deleted="FALSE",
                    created_date="2019-11-11 18:00:00", has_opted_out_of_email="FALSE")
        # 2019-11-12: the lead record deleted (the contact is live); 2019-11-13: the contact too.
        add_version(source_url, source_schema, "lead", SEED_LEAD, "2019-11-12 08:00:00", is_deleted="TRUE")
        add_version(source_url, source_schema, "contact", CONTACT, "2019-11-13 08:00:00", is_deleted="TRUE")
        # 2019-11-14: a meeting with the contact while retired; 2019-11-15: the lead record back.
        add_version(source_url, source_schema, "event", "00U1G00000DEQL7UAP", "2019-11-14 08:00:00",
                    id="00U1G00000HCROC1", who_id=CONTACT, start_date_time="2019-11-14 09:00:00")
        add_version(source_url, source_schema, "lead", SEED_LEAD, "2019-11-15 08:00:00", is_deleted="FALSE")
        extracts = ["--extracts", "mapping:fivetran_salesforce", "--warehouse", url]
        run("backfill", "--start", "2019-11-11", "--end", "2019-11-15", *extracts)

        identities = read_sql(url, "SELECT source_lead_id, lead_id FROM lead_identities ORDER BY source_lead_id",
                              schema)
        assert identities["source_lead_id"].tolist() == [CONTACT, SEED_LEAD]
        (lead,) = set(identities["lead_id"])

        def snapshot() -> dict[str, list[list[str]]]:
            sql = {
                "states": "SELECT run_date, source_system, source_lead_id, "
                          "CASE WHEN deleted THEN 'deleted' ELSE 'live' END, source_table, flag "
                          "FROM source_record_states ORDER BY run_date, source_lead_id",
                "retirements": "SELECT run_date, lead_id, action, source_system, source_lead_id, source_table, flag "
                               "FROM lead_retirements ORDER BY run_date, action",
                "scored": "SELECT run_date FROM lead_scores WHERE lead_id = :lead ORDER BY run_date",
                "enrollments": "SELECT segment, entered_run_date, exited_run_date, exit_reason "
                               "FROM nurture_enrollments WHERE lead_id = :lead ORDER BY entered_run_date",
                "activities": "SELECT activity_id, run_date, lead_id FROM activities "
                              "WHERE source_lead_id = :contact ORDER BY activity_id",
                "retire_counts": "SELECT r.run_date, c.metric, c.value FROM run_counts c JOIN runs r "
                                 "ON r.run_id = c.run_id WHERE c.stage = 'retire' AND r.status = 'succeeded' "
                                 "AND c.value > 0 ORDER BY r.run_date, c.metric",
            }
            return {name: [[plain(v) for v in row]
                           for row in read_sql(url, text, schema, lead=lead, contact=CONTACT).values.tolist()]
                    for name, text in sql.items()}

        before = snapshot()
        assert before["states"] == [["2019-11-12", "salesforce", SEED_LEAD, "deleted", "lead", "is_deleted"],
                                    ["2019-11-13", "salesforce", CONTACT, "deleted", "contact", "is_deleted"],
                                    ["2019-11-15", "salesforce", SEED_LEAD, "live", None, None]]
        # Retired on the 13th by the contact, the last live record; restored on the 15th by the lead record.
        assert before["retirements"] == [["2019-11-13", lead, "retired", "salesforce", CONTACT, "contact",
                                          "is_deleted"],
                                         ["2019-11-15", lead, "restored", "salesforce", SEED_LEAD, None,
                                          None]]
        # Scored while a record was live (the 11th, 12th: a deleted row is no change of the lead's,
        # so only the 11th) and again once restored; not on the 13th and 14th.
        assert before["scored"] == [["2019-11-11"], ["2019-11-15"]]
        # Its nurture track exits on the day it is retired; restored, it is enrolled again.
        assert before["enrollments"] == [["awareness", "2019-11-11", "2019-11-13", "source_deleted"],
                                         ["awareness", "2019-11-15", None, None]]
        # The meeting of the 14th is kept, with its lead, uncounted.
        assert before["activities"] == [["00U1G00000HCROC1", "2019-11-14", lead]]
        assert before["retire_counts"] == [
            ["2019-11-12", "records_deleted", 1], ["2019-11-13", "leads_left_out", 1],
            ["2019-11-13", "leads_retired", 1], ["2019-11-13", "records_deleted", 1],
            ["2019-11-14", "leads_left_out", 1], ["2019-11-15", "leads_restored", 1],
            ["2019-11-15", "records_live_again", 1]]

        explained = CliRunner().invoke(app, ["explain", "--lead", f"salesforce/{SEED_LEAD}", "--warehouse", url])
        assert explained.exit_code == 0, explained.output
        lines = " ".join(explained.output.split())
        assert (f"retired on 2019-11-13: salesforce/{CONTACT} deleted in the source (contact.is_deleted), "
                "no record of the lead is live") in lines
        assert f"restored on 2019-11-15: salesforce/{SEED_LEAD} is live again" in lines
        assert "nurture: awareness from 2019-11-11 to 2019-11-13 (source_deleted)" in lines

        # Re-running the 13th re-runs the 14th and 15th: the same rows, none twice.
        run("run", "--date", "2019-11-13", *extracts)
        assert snapshot() == before
        # Re-running from the 11th: the same again.
        run("backfill", "--start", "2019-11-11", "--end", "2019-11-11", *extracts)
        assert snapshot() == before
    finally:
        if source_schema:
            drop_schema(url, source_schema)
