"""Property-based extract fuzzer: a small valid extract, mutated (header names repeated, missing or
extra, ragged rows, cut-short files, bad bytes, hostile values, other delimiters, empty files),
ends either as a run that accounts for every row or as a one-line error that changes nothing.

Fixed seed (derandomize) and a bounded budget: most examples run the stage functions directly,
a handful run the real nightly flow into a SQLite warehouse.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from flows.nightly import nightly
from flows.settings import PROJECT_ROOT
from tasks.intake.contract import EXTRACT_FILES, file_column
from tasks.identity.assignment import Known, assign_leads, load_dedupe_config
from tasks.identity.survivorship import golden_records
from tasks.errors import MqlError
from tasks.intake.extract import read_extract
from tasks.screening.fraud import load_fraud_rules
from tasks.screening.screen import flag_bots, screen_leads, screen_rows
from tasks.intake.validate import validate_extract
from tests.conftest import FIRST_DAY, read_table

INTERNAL_NAMES = ("lead_id", "row_number", "bot_reason", "reasons", "custom_attributes", "_created_at_utc",
                  "_longest_value", "_has_identity", "_released_row", "_read_error", "_raw_line", "email_key",
                  "disposition", "match_rule", "custom", "fit_score", "created_ts", "run_date")
HOSTILE_VALUES = (
    "Acme'); DROP TABLE leads; --", "1 OR 1=1", '=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0",
    "@SUM(1+1)", "-2+3", "\x00\x07\x1b[31mred\u202e", "line\r\nbreak", 'a "quoted", value', "   ", "مايكروسوفت",
    "\U0001F680" * 50, "x" * 70_000, "9" * 400, "null", "NaN", "<script>alert(1)</script>",
)
FUZZ = settings(  # fixed seed, no example database, slow examples allowed
    derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AUDIT_TABLES = ("runs", "warehouse_lock")  # a failed run records itself, by design


@dataclass(frozen=True)
class Base:
    """The valid extract every example starts from: header and rows per file, as text."""

    files: dict[str, list[list[str]]]


@pytest.fixture(scope="module")
def base() -> Base:
    from synthetic.generate import generate_extracts

    out = Path(tempfile.mkdtemp(prefix="mql-fuzz-base-"))
    generate_extracts(out, FIRST_DAY, days=1, leads_per_day=12, seed=4)
    files = {}
    for stem in ("leads", "activities"):
        with (out / FIRST_DAY.isoformat() / f"{stem}.csv").open(newline="", encoding="utf-8") as handle:
            files[stem] = list(csv.reader(handle))
    shutil.rmtree(out)
    return Base(files)


def to_csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


BYTE_MUTATIONS = ("truncate", "bad_bytes", "delimiter", "empty", "header_only", "crlf")
# Mutations that keep the file readable come twice as often: a broken header ends every example
# it touches at the first check.
MUTATIONS = ("extra_column", "internal_column", "ragged_row", "short_row", "hostile_value", "drop_rows", "truncate",
             "bad_bytes", "header_only", "crlf") * 2 + ("repeat_name", "blank_name", "drop_name", "delimiter", "empty")


@st.composite
def mutated(draw, base: Base) -> dict[str, bytes]:
    """The extract files after one to three mutations of the leads or activities file."""
    files = {stem: [list(row) for row in rows] for stem, rows in base.files.items()}
    delimiters = {stem: "," for stem in files}
    after: dict[str, list[tuple[str, int, bytes]]] = {stem: [] for stem in files}
    for _ in range(draw(st.integers(1, 3))):
        stem = draw(st.sampled_from(("leads", "leads", "activities")))
        rows = files[stem]
        header, width = rows[0], len(rows[0])
        kind = draw(st.sampled_from(MUTATIONS))
        column = draw(st.integers(0, width - 1))
        row = draw(st.integers(1, max(1, len(rows) - 1)))
        if kind == "repeat_name":
            header[column] = header[draw(st.integers(0, width - 1))]
        elif kind == "blank_name":
            header[column] = draw(st.sampled_from(("", "  ")))
        elif kind == "drop_name":
            del header[column]
        elif kind in ("extra_column", "internal_column"):
            name = (draw(st.sampled_from(INTERNAL_NAMES)) if kind == "internal_column"
                    else draw(st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=12)))
            header.append(name)
            for other in rows[1:]:
                other.append(draw(st.sampled_from(("", "v", *HOSTILE_VALUES[:6]))))
        elif kind == "ragged_row" and len(rows) > 1:
            rows[row].append("surplus")
        elif kind == "short_row" and len(rows) > 1:
            del rows[row][draw(st.integers(0, len(rows[row]) - 1))]
        elif kind == "hostile_value" and len(rows) > 1 and column < len(rows[row]):
            rows[row][column] = draw(st.sampled_from(HOSTILE_VALUES))
        elif kind == "drop_rows":
            del rows[draw(st.integers(1, len(rows))):]
        elif kind == "delimiter":
            delimiters[stem] = draw(st.sampled_from((";", "\t", "|")))
        elif kind in BYTE_MUTATIONS:
            after[stem].append((kind, draw(st.integers(0, 1 << 20)), draw(st.sampled_from((b"\xff", b"\xc3(", b"\xe2\x82", b"\x80\x80")))))
    out = {}
    for stem, rows in files.items():
        data = to_csv(rows, delimiters[stem])
        for kind, where, junk in after[stem]:
            if kind == "truncate":
                data = data[: where % (len(data) + 1)]
            elif kind == "bad_bytes":
                at = where % (len(data) + 1)
                data = data[:at] + junk + data[at:]
            elif kind == "empty":
                data = b""
            elif kind == "header_only":
                data = data.split(b"\n", 1)[0] + b"\n"
            elif kind == "crlf":
                data = data.replace(b"\n", b"\r\n")
        out[stem] = data
    return out


def write_day(folder: Path, files: dict[str, bytes]) -> Path:
    day = folder / FIRST_DAY.isoformat()
    day.mkdir(parents=True, exist_ok=True)
    for stem, data in files.items():
        (day / f"{stem}.csv").write_bytes(data)
    return folder


def assert_one_line(error: BaseException) -> None:
    assert isinstance(error, MqlError), f"{type(error).__name__} is not a user error: {error}"
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message, repr(message)


@pytest.fixture(scope="module")
def configs():
    return (load_fraud_rules(PROJECT_ROOT / "config" / "fraud.yaml"),
            load_dedupe_config(PROJECT_ROOT / "config" / "dedupe.yaml"))


def reference(data: bytes) -> tuple[list[str], list[list[str] | None], bool] | None:
    """How Python's csv module reads the bytes, as an independent check of the reader: the header,
    each data record (None where not well formed: a wrong number of fields, bytes that are not
    UTF-8, cut short inside quotes) and whether the whole file was read; None without a header."""
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    records, complete = [], True
    try:
        records.extend(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        complete = False  # the record being read is broken; what follows it is not known
    records = [record for record in records if record]  # blank lines are skipped
    if not records:
        return None
    header, rows = records[0], records[1:]
    well_formed = [row if len(row) == len(header) and not SURROGATE.search("".join(row)) else None for row in rows]
    return header, well_formed + ([] if complete else [None]), complete


SURROGATE = re.compile("[\udc80-\udcff]")


def as_read(value: str) -> str | None:
    """A value as the contract hands it on: NUL bytes dropped, blank as None."""
    value = value.replace("\x00", "")
    return value if value.strip() else None


def header_is_broken(header: list[str]) -> bool:
    names = [name.strip() for name in header]
    other_delimiter = len(header) == 1 and any(d in header[0] for d in ";\t|")
    return bool(SURROGATE.search("".join(header))) or "" in names or len(set(names)) < len(names) or other_delimiter


def test_stages_read_every_row_as_written_and_account_for_it_or_fail_in_one_line(base, configs):
    rules, linking = configs

    @settings(FUZZ, max_examples=40)
    @given(files=mutated(base))
    def check(files: dict[str, bytes]) -> None:
        expected = {stem: reference(data) for stem, data in files.items()}
        with tempfile.TemporaryDirectory(prefix="mql-fuzz-") as folder:
            try:
                extract = read_extract(write_day(Path(folder), files), FIRST_DAY)
                reports = {name: validate_extract(frame, name, FIRST_DAY, PROJECT_ROOT / "expectations")
                           for name, frame in extract.frames.items() if frame is not None}
            except MqlError as error:
                assert_one_line(error)
                event("one-line error: " + str(error).rsplit(": ", 1)[0].rsplit("/", 1)[-1][:40])
                return
        # A header with a repeated, empty or undecodable name, or not split by commas, never passes.
        assert not any(found is None or header_is_broken(found[0]) for found in expected.values()), expected
        critical = [message for report in reports.values() for message in report.critical]
        if critical:  # the run fails with the first of these, in one line
            assert all("\n" not in message for message in critical)
            event("critical validation failure")
            return
        event("read, screened and accounted for")
        leads = screen_leads(extract.leads, reports["leads"], rules, FIRST_DAY)
        activities, quarantined = screen_rows(extract.frames["activities"], reports.get("activities"),
                                              "activities", FIRST_DAY)
        flag_bots(activities, rules)
        assigned = assign_leads(leads.survivors, Known(), FIRST_DAY.isoformat(), linking).rows
        golden_records(leads.survivors, assigned, pd.DataFrame(columns=["lead_id", "custom_attributes"]))

        # Every row read as written, in its place; a row that is not well formed is quarantined.
        set_aside = {"leads": set(leads.set_aside.loc[leads.set_aside["disposition"] == "quarantined", "row_number"]),
                     "activities": set(quarantined["row_number"])}
        for stem, (header, rows, complete) in expected.items():
            frame, contract = extract.frames[stem], EXTRACT_FILES[stem][0]
            assert len(frame) == len(rows) if complete else len(frame) >= len(rows) - 1
            for position, row in enumerate(rows):
                if row is None:
                    assert position >= len(frame) or position in set_aside[stem], (stem, position)
                    continue
                got = [frame[file_column(name.strip(), contract)].iloc[position] for name in header]
                assert got == [as_read(value) for value in row], (stem, position)

        # Nothing lost: every lead row written, merged, rejected or quarantined, exactly once.
        assert set(assigned["disposition"]) <= {"written", "merged"}
        placed = pd.concat([assigned["row_number"], leads.set_aside["row_number"]]).astype(int)
        assert sorted(placed) == list(range(len(extract.leads)))
        assert len(activities) + len(quarantined) == len(extract.frames["activities"])

    check()


def query(url: str, sql: str, **params) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            # Plain tuples: pandas takes a row with a column named "keys" (lead_merges) for a dict.
            return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, pd.DataFrame]:
    """Every row of every warehouse table but the run audit, in a stable order, as text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t not in AUDIT_TABLES]
    finally:
        engine.dispose()
    out = {}
    for table in tables:
        frame = read_table(url, table).astype(str)
        out[table] = frame.sort_values(list(frame.columns), ignore_index=True)
    return out


@pytest.mark.usefixtures("prefect_api")
def test_nightly_flow_accounts_for_every_row_or_fails_in_one_line_changing_nothing(base, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("fuzz-warehouse") / "warehouse.db"
    url = f"sqlite:///{warehouse}"
    valid = {stem: to_csv(rows) for stem, rows in base.files.items()}
    with tempfile.TemporaryDirectory(prefix="mql-fuzz-") as folder:  # a loaded day to leave unchanged
        nightly(run_date=FIRST_DAY, extracts_dir=str(write_day(Path(folder), valid)),
                warehouse_url=url)

    @settings(FUZZ, max_examples=8)
    @given(files=mutated(base))
    def check(files: dict[str, bytes]) -> None:
        before = dump(url)
        with tempfile.TemporaryDirectory(prefix="mql-fuzz-") as folder:
            try:
                summary = nightly(run_date=FIRST_DAY, extracts_dir=str(write_day(Path(folder), files)),
                                  warehouse_url=url)
            except Exception as error:  # noqa: BLE001 - anything but a one-line user error fails
                assert_one_line(error)
                event("run failed in one line")
                after = dump(url)
                for table, rows in before.items():
                    pd.testing.assert_frame_equal(after[table], rows, obj=table)
                runs = query(url, "SELECT status, error FROM runs ORDER BY started_at DESC LIMIT 1")
                assert runs.to_dict("records") == [{"status": "failed", "error": str(error)}]
                return
        counts = query(url, "SELECT metric, value FROM run_counts WHERE run_id = :run_id AND stage = 'conservation'",
                          run_id=summary.run_id)
        c = dict(zip(counts["metric"], counts["value"]))
        event("run succeeded")
        assert c["written"] + c["merged"] + c["rejected"] + c["quarantined"] + c["erased"] == c["leads_in"]
        assert c == summary.counts["conservation"]

    check()
