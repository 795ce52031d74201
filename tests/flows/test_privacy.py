"""Erasure on request and match-key rotation, end to end through the CLI, on SQLite and PostgreSQL
(issue 12, items 8 and 9)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from tasks.screening.normalize import email_key, phone_e164
from tasks.warehouse.connection import bulk_insert, open_warehouse
from tests.conftest import FIRST_DAY, read_sql, read_table

pytestmark = pytest.mark.usefixtures("prefect_api")
DAYS = 3
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def dump(url: str, schema: str) -> str:
    """Every text value of every table of the warehouse, lowercased, one per line."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        in_schema = schema if engine.dialect.name == "postgresql" else None
        tables = inspector.get_table_names(schema=in_schema)
    finally:
        engine.dispose()
    assert {"leads", "erasure_ledger", "rejected_leads", "quarantined_rows"} <= set(tables)
    values = []
    for table in tables:
        frame = read_table(url, table, schema)
        for column in frame.columns:
            values += [str(v).lower() for v in frame[column] if v is not None]
    return "\n".join(values)


def loaded_files(folder: Path, name: str, days: int) -> list[Path]:
    """The `name` files of the first `days` generated days (the dates a test loads)."""
    return [folder / (FIRST_DAY + timedelta(days=i)).isoformat() / name for i in range(days)]


def extract_rows(folder: Path, days: int) -> pd.DataFrame:
    """Every lead row of the loaded days' extracts, as text, with its normalised email and phone."""
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False).assign(_file=str(path))
              for path in loaded_files(folder, "leads.csv", days)]
    rows = pd.concat(frames, ignore_index=True)
    rows["_email"] = [email_key(e) if e else None for e in rows["email"]]
    rows["_phone"] = [phone_e164((p, c)) if p else None for p, c in zip(rows["phone"], rows["country"])]
    return rows


def pick_person(url: str, schema: str, extracts: Path, days: int) -> dict:
    """A lead with duplicates and activities whose email, phone and names appear in no one else's
    extract rows (a namesake would make the dump search meaningless)."""
    leads = read_sql(url, """
        SELECT l.lead_id, l.email, l.email_key, l.phone, l.phone_e164, l.first_name, l.last_name
        FROM leads AS l
        WHERE (SELECT COUNT(*) FROM lead_identities AS i WHERE i.lead_id = l.lead_id) >= 2
          AND (SELECT COUNT(*) FROM activities AS a WHERE a.lead_id = l.lead_id) >= 1
          AND l.phone_e164 IS NOT NULL
        ORDER BY l.lead_id""", schema)
    rows = extract_rows(extracts, days)
    activities = "\n".join(joined(pd.read_csv(p, dtype=str, keep_default_na=False))
                            for p in loaded_files(extracts, "activities.csv", days)).lower()
    for lead in leads.itertuples(index=False):
        records = read_sql(url, "SELECT source_system, source_lead_id FROM lead_identities WHERE lead_id = :lead",
                           schema, lead=lead.lead_id)
        mine = set(zip(records["source_system"], records["source_lead_id"]))
        own = rows.apply(lambda r: (r["source_system"], r["source_lead_id"]) in mine, axis=1) \
            | rows["_email"].eq(lead.email_key) | rows["_phone"].eq(lead.phone_e164)
        others = joined(rows[~own].drop(columns=["_file"])).lower()
        tokens = person_tokens(lead._asdict())
        if all(len(t) >= 4 and t not in others and t not in activities for t in tokens):
            return lead._asdict()
    raise AssertionError("no suitable person in the generated days")


def joined(frame: pd.DataFrame) -> str:
    """A frame's values as text, a line per row (missing values empty)."""
    return "\n".join(" ".join("" if v is None or v != v else str(v) for v in row)
                     for row in frame.itertuples(index=False, name=None))


def person_tokens(person: dict) -> list[str]:
    return [t.lower() for t in (person["email"].strip(), person["email_key"], person["phone"].strip(),
                                person["phone_e164"], person["first_name"], person["last_name"])]


def assert_conserved(url: str, schema: str) -> pd.DataFrame:
    counts = read_sql(url, """
        SELECT r.run_date, c.metric, c.value FROM run_counts AS c JOIN runs AS r ON r.run_id = c.run_id
        WHERE r.status = 'succeeded' AND c.stage = 'conservation'""", schema)
    table = counts.pivot_table(index="run_date", columns="metric", values="value", aggfunc="sum")
    outcomes = table[["written", "merged", "rejected", "quarantined", "erased"]].sum(axis=1)
    assert (outcomes == table["leads_in"]).all(), table
    return table


def test_an_erased_person_leaves_no_trace_and_stays_out_of_reruns(in_schema, generated):
    url, schema = in_schema
    extracts = str(generated)
    code, out = cli("backfill", "--start", str(FIRST_DAY), "--end", str(LAST_DAY), "--extracts", extracts,
                    "--warehouse", url)
    assert code == 0, out
    person = pick_person(url, schema, generated, DAYS)
    tokens = person_tokens(person)
    before = dump(url, schema)
    assert all(t in before for t in tokens)
    leads_before = read_sql(url, "SELECT COUNT(*) AS n FROM leads", schema)["n"].iloc[0]

    # One-line errors leave the warehouse as it was.
    naming = f"request of {person['first_name']} {person['last_name']}"
    for args, reason, message in [
        (["--email", person["email"], "--lead", person["lead_id"]], "t-1", "exactly one of --email, --phone, --lead"),
        ([], "t-1", "exactly one of --email, --phone, --lead"),
        (["--email", "nobody.at.all@nowhere-example.org"], "t-1", "no such person in the warehouse"),
        (["--lead", "no-such-lead"], "t-1", "--lead no-such-lead: no such lead"),
        (["--phone", "555-0100"], "t-1", "not a phone number in international form"),
        (["--email", person["email"]], naming, "must not name the person"),
    ]:
        code, out = cli("erase", *args, "--by", "dpo", "--reason", reason, "--warehouse", url)
        assert code == 2 and out.count("\n") == 1 and message in out, out
    assert dump(url, schema) == before

    code, out = cli("erase", "--email", person["email"].upper(), "--by", "dpo", "--reason", "ticket 4711",
                    "--warehouse", url)
    assert code == 0, out
    after = dump(url, schema)
    assert [t for t in tokens if t in after] == []
    assert read_sql(url, "SELECT COUNT(*) AS n FROM leads", schema)["n"].iloc[0] == leads_before  # aggregates stay
    assert read_sql(url, "SELECT COUNT(*) AS n FROM leads WHERE lead_id = :lead", schema,
                    lead=person["lead_id"])["n"].iloc[0] == 0
    ledger = read_sql(url, "SELECT kind, erased_by, reason FROM erasure_ledger", schema)
    assert set(ledger["kind"]) == {"email", "phone", "source_record"}
    assert set(ledger["erased_by"]) == {"dpo"} and set(ledger["reason"]) == {"ticket 4711"}

    # Re-running the dates that brought them in (and the later ones) brings none of it back.
    code, out = cli("run", "--date", str(FIRST_DAY), "--extracts", extracts, "--warehouse", url)
    assert code == 0, out
    again = dump(url, schema)
    assert [t for t in tokens if t in again] == []
    table = assert_conserved(url, schema)
    assert table["erased"].sum() >= 2  # the person and their duplicate, dropped as erased
    erased_rows = read_sql(url, "SELECT raw, source_system, source_lead_id FROM rejected_leads "
                                "WHERE disposition = 'erased'", schema)
    assert len(erased_rows) == table["erased"].sum()
    assert erased_rows["raw"].eq("{}").all() and erased_rows["source_lead_id"].isna().all()
    code, out = cli("erase", "--email", person["email"], "--by", "dpo", "--reason", "again", "--warehouse", url)
    assert code == 2 and "no such person" in out


def test_an_email_several_leads_hold_is_ambiguous(in_schema):
    url, schema = in_schema
    engine = open_warehouse(url, schema)
    try:
        with engine.begin() as conn:
            bulk_insert(conn, "lead_identities", pd.DataFrame({
                "source_system": ["crm", "web"], "source_lead_id": ["1", "2"], "lead_id": ["L1", "L2"],
                "run_date": ["2026-03-02"] * 2, "match_rule": ["new"] * 2,
                "match_email": ["shared@acme.com"] * 2}))
    finally:
        engine.dispose()
    code, out = cli("erase", "--email", "Shared@Acme.com", "--by", "dpo", "--reason", "t-1", "--warehouse", url)
    assert code == 2 and out.count("\n") == 1
    assert "is ambiguous: 2 leads hold it (L1, L2); erase each with --lead" in out
    assert read_sql(url, "SELECT COUNT(*) AS n FROM erasure_ledger", schema)["n"].iloc[0] == 0


def test_rekey_rotates_every_match_key_and_keeps_erased_people_out(in_schema, generated, monkeypatch, tmp_path):
    url, schema = in_schema
    extracts = str(generated)
    old, new = "the old secret of this warehouse", "the new secret of this warehouse"
    monkeypatch.setenv("MQL_MATCH_KEY_SECRET", old)
    code, out = cli("backfill", "--start", str(FIRST_DAY), "--end", str(FIRST_DAY + timedelta(days=1)),
                    "--extracts", extracts, "--warehouse", url)
    assert code == 0, out
    person = pick_person(url, schema, generated, 2)
    code, out = cli("erase", "--lead", person["lead_id"], "--by", "dpo", "--reason", "t-2", "--warehouse", url)
    assert code == 0, out
    keys_before = read_sql(url, "SELECT key_hash, lead_id FROM lead_match_keys", schema)

    monkeypatch.setenv("MQL_MATCH_KEY_SECRET", new)
    code, out = cli("run", "--date", str(FIRST_DAY), "--extracts", extracts, "--warehouse", url)
    assert code == 2 and out.count("\n") == 1 and "change it with `mql rekey`" in out, out
    monkeypatch.setenv("MQL_OLD_SECRET", "not the old secret, but long")
    code, out = cli("rekey", "--old-secret-env", "MQL_OLD_SECRET", "--warehouse", url)
    assert code == 2 and "--old-secret-env: that secret is not the one" in out, out
    monkeypatch.setenv("MQL_OLD_SECRET", old)
    code, out = cli("rekey", "--old-secret-env", "MQL_OLD_SECRET", "--warehouse", url)
    assert code == 0, out
    assert old not in out and new not in out
    keys_after = read_sql(url, "SELECT key_hash, lead_id, run_date FROM lead_match_keys", schema)
    assert len(keys_after) == len(keys_before)
    assert not set(keys_after["key_hash"]) & set(keys_before["key_hash"])
    assert read_sql(url, "SELECT status FROM hash_keys ORDER BY status", schema)["status"].tolist() == \
        ["current", "retired"]  # the old key, kept encrypted for the tombstones made under it

    # The same keys as a warehouse loaded under the new secret from the start (the person erased there too).
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, out = cli("backfill", "--start", str(FIRST_DAY), "--end", str(FIRST_DAY + timedelta(days=1)),
                    "--extracts", extracts, "--warehouse", fresh)
    assert code == 0, out
    code, out = cli("erase", "--lead", person["lead_id"], "--by", "dpo", "--reason", "t-2", "--warehouse", fresh)
    assert code == 0, out
    expected = read_sql(fresh, "SELECT key_hash, lead_id, run_date FROM lead_match_keys", None)

    def rows(frame: pd.DataFrame) -> set:
        columns = frame[["key_hash", "lead_id", "run_date"]]
        return {(int(k), str(lead), str(d)[:10]) for k, lead, d in columns.itertuples(index=False)}
    assert rows(keys_after) == rows(expected)

    # Re-runs under the new secret still drop the person erased under the old one.
    code, out = cli("run", "--date", str(FIRST_DAY), "--extracts", extracts, "--warehouse", url)
    assert code == 0, out
    assert [t for t in person_tokens(person) if t in dump(url, schema)] == []
    assert assert_conserved(url, schema)["erased"].sum() >= 2


def test_a_malformed_address_kept_aside_finds_and_erases_its_lead(in_schema, tmp_path):
    """A lead whose address screening flagged as malformed is kept without an email, the address
    as typed in the custom attribute `invalid_email`; erasing by that address finds the lead,
    erases it, and its tombstone keeps the row out of a re-run."""
    from tests.flows.test_lifecycle import write_day

    url, schema = in_schema
    extracts = tmp_path / "x"
    write_day(extracts, 0, [
        {"source_lead_id": "m1", "email": "Quentin@Tarrow@Acme.com", "first_name": "Quentin",
         "last_name": "Tarrowby", "company": "Acme", "country": "US"},
        {"source_lead_id": "k1", "email": "kim.other@northwind.com", "first_name": "Kim", "last_name": "Other",
         "company": "Northwind", "country": "US"},
    ], [])
    code, out = cli("run", "--date", str(FIRST_DAY), "--extracts", str(extracts), "--warehouse", url)
    assert code == 0, out
    kept = read_sql(url, "SELECT lead_id, email, custom_attributes FROM leads WHERE last_name = 'Tarrowby'", schema)
    assert len(kept) == 1 and kept["email"][0] is None
    assert json.loads(kept["custom_attributes"][0]) == {"invalid_email": "Quentin@Tarrow@Acme.com"}

    code, out = cli("erase", "--email", " quentin@tarrow@acme.com ", "--by", "dpo", "--reason", "ticket 7",
                    "--warehouse", url)
    assert code == 0, out
    assert "erased 1 lead(s), 1 source record(s)" in out
    assert "tarrow" not in dump(url, schema)
    assert read_sql(url, "SELECT COUNT(*) AS n FROM leads WHERE lead_id = :lead", schema,
                    lead=kept["lead_id"][0])["n"][0] == 0
    assert read_sql(url, "SELECT COUNT(*) AS n FROM leads", schema)["n"][0] == 2  # the aggregate row stays
    ledger = read_sql(url, "SELECT kind FROM erasure_ledger ORDER BY kind", schema)
    assert ledger["kind"].tolist() == ["email", "source_record"]

    # A re-run of the date drops the row as erased; the same address from another system too.
    write_day(extracts, 1, [{"source_lead_id": "m9", "source_system": "marketo",
                             "email": "QUENTIN@tarrow@acme.com", "first_name": "Q", "country": "US"}], [])
    code, out = cli("backfill", "--start", str(FIRST_DAY), "--end", str(FIRST_DAY + timedelta(days=1)),
                    "--extracts", str(extracts), "--warehouse", url)
    assert code == 0, out
    assert "tarrow" not in dump(url, schema)
    erased = read_sql(url, "SELECT run_date, disposition FROM rejected_leads ORDER BY run_date", schema)
    assert erased["disposition"].tolist() == ["erased", "erased"]
    code, out = cli("erase", "--email", "quentin@tarrow@acme.com", "--by", "dpo", "--reason", "again",
                    "--warehouse", url)
    assert code == 2 and "no such person" in out


def test_a_person_whose_two_leads_were_merged_is_erased_with_both(in_schema, tmp_path):
    """Ann's address-only and phone-only leads were merged by a record holding both: erasing her by
    address finds the survivor (not two leads: the absorbed one's history is hers too) and erases
    both lead ids, the lead_moves rows with them; a backfill brings nothing back."""
    from tests.flows.test_identity import ANN_BOTH, ANN_EMAIL, ANN_PHONE
    from tests.flows.test_lifecycle import write_day

    url, schema = in_schema
    extracts = tmp_path / "x"
    for offset, lead in enumerate((ANN_EMAIL, ANN_PHONE, ANN_BOTH)):
        write_day(extracts, offset, [lead, {"source_lead_id": f"o{offset}", "email": f"o{offset}@other.com"}], [])
    last = str(FIRST_DAY + timedelta(days=2))
    code, out = cli("backfill", "--start", str(FIRST_DAY), "--end", last, "--extracts", str(extracts),
                    "--warehouse", url)
    assert code == 0, out
    assert read_sql(url, "SELECT COUNT(*) AS n FROM lead_moves", schema)["n"][0] == 1

    code, out = cli("erase", "--email", "Ann.Lee@acme.com", "--by", "dpo", "--reason", "ticket 9", "--warehouse", url)
    assert code == 0, out
    assert "erased 2 lead(s), 3 source record(s)" in out
    after = dump(url, schema)
    assert [t for t in ("ann.lee@acme.com", "+14155550101", "415 555 0101", "lee") if t in after] == []
    assert read_sql(url, "SELECT COUNT(*) AS n FROM lead_moves", schema)["n"][0] == 0
    code, out = cli("backfill", "--start", str(FIRST_DAY), "--end", last, "--extracts", str(extracts),
                    "--warehouse", url)
    assert code == 0, out
    assert [t for t in ("ann.lee@acme.com", "+14155550101", "415 555 0101", "lee") if t in dump(url, schema)] == []
