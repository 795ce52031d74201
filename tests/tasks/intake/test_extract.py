"""The extract reader: the header as written, rows that cannot be read kept in place and
quarantined with their line, extra columns kept whatever their names."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tasks.errors import ExtractError
from tasks.intake.extract import read_extract
from tasks.screening.fraud import load_fraud_rules
from tasks.screening.screen import screen_leads, screen_rows
from tasks.intake.validate import validate_extract

ROOT = Path(__file__).resolve().parents[3]
RUN_DATE = date(2026, 3, 2)
HEADER = ["source_system", "source_lead_id", "created_at", "email", "phone", "first_name"]


def lead_line(i: int) -> list[str]:
    return ["hubspot", f"h-{i}", "2026-03-02T10:00:00Z", f"person{i}@acme{i}.com", f"+1415555{i:04d}", "Ann"]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def day(tmp_path: Path, leads: bytes | str, name: str = "leads.csv", **others: bytes | str) -> Path:
    folder = tmp_path / RUN_DATE.isoformat()
    folder.mkdir(exist_ok=True)
    for stem, content in {name.removesuffix(".csv"): leads, **others}.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / f"{stem}.csv").write_bytes(data)
    return tmp_path


def quarantined(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leads as read, and what screening sets aside: row_number, disposition, reasons, raw."""
    leads = read_extract(tmp_path, RUN_DATE).leads
    report = validate_extract(leads, "leads", RUN_DATE, ROOT / "expectations")
    assert report.critical == []
    screened = screen_leads(leads, report, load_fraud_rules(ROOT / "config" / "fraud.yaml"), RUN_DATE)
    return leads, screened.set_aside[screened.set_aside["disposition"] == "quarantined"]


@pytest.mark.parametrize("header, repeated", [
    (["source_system", "source_lead_id", "created_at", "email", "email", "first_name"], "email"),
    (["source_system", "source_lead_id", "created_at", "email", " email ", "first_name"], "email"),
])
def test_a_repeated_header_name_fails_in_one_line_naming_the_file(tmp_path, header, repeated):
    day(tmp_path, csv_text([lead_line(1)], header))
    with pytest.raises(ExtractError) as caught:
        read_extract(tmp_path, RUN_DATE)
    message = str(caught.value)
    assert "\n" not in message
    assert message == f"{tmp_path / RUN_DATE.isoformat() / 'leads.csv'}: repeated column name(s) in the header: {repeated}"


def test_a_header_column_without_a_name_fails_in_one_line(tmp_path):
    day(tmp_path, csv_text([lead_line(1)], [*HEADER[:3], "", *HEADER[4:]]))
    with pytest.raises(ExtractError, match=r"leads\.csv: header column\(s\) 4 have no name$"):
        read_extract(tmp_path, RUN_DATE)


def test_a_row_with_one_field_too_many_is_quarantined_alone_and_shifts_nothing(tmp_path):
    rows = [lead_line(i) for i in range(5)]
    rows[2] = [*rows[2], "surplus"]
    rows[3] = rows[3][:4]
    day(tmp_path, csv_text(rows))
    leads, set_aside = quarantined(tmp_path)
    assert len(leads) == 5
    assert leads["email"].tolist() == ["person0@acme0.com", "person1@acme1.com", None, None, "person4@acme4.com"]
    assert leads["phone"].tolist()[4] == "+14155550004"
    assert set_aside["row_number"].tolist() == [2, 3]
    assert set_aside["reasons"].tolist() == ["line 4: 7 field(s) where the header has 6",
                                            "line 5: 4 field(s) where the header has 6"]
    assert [json.loads(raw) for raw in set_aside["raw"]] == [
        {"line": "hubspot,h-2,2026-03-02T10:00:00Z,person2@acme2.com,+14155550002,Ann,surplus"},
        {"line": "hubspot,h-3,2026-03-02T10:00:00Z,person3@acme3.com"},
    ]


def test_a_file_cut_short_quarantines_its_last_row(tmp_path):
    text = csv_text([lead_line(0), lead_line(1)])
    day(tmp_path, text + "hubspot,h-2,2026-03-02T10:00:00Z,per")  # cut inside a row
    leads, set_aside = quarantined(tmp_path)
    assert len(leads) == 3 and set_aside["row_number"].tolist() == [2]
    assert set_aside["reasons"].tolist() == ["line 4: 4 field(s) where the header has 6"]


def test_a_file_cut_inside_a_quoted_value_quarantines_that_row(tmp_path):
    text = csv_text([lead_line(0), lead_line(1)])
    day(tmp_path, text + 'hubspot,h-2,2026-03-02T10:00:00Z,p@acme.com,+14155550002,"Ann\nnext')
    leads, set_aside = quarantined(tmp_path)
    assert len(leads) == 3 and set_aside["row_number"].tolist() == [2]
    assert set_aside["reasons"].tolist() == ["line 4: the file ends inside a quoted value (cut short?)"]


def test_a_quoted_value_with_quotes_and_line_breaks_is_read_whole(tmp_path):
    rows = [lead_line(0), [*lead_line(1)[:5], 'Ann "the\nAnalyst", Jr']]
    day(tmp_path, csv_text(rows))
    leads, set_aside = quarantined(tmp_path)
    assert leads["first_name"].tolist() == ["Ann", 'Ann "the\nAnalyst", Jr'] and set_aside.empty


def test_bytes_that_are_not_utf8_quarantine_the_row_naming_the_line(tmp_path):
    good = csv_text([lead_line(0), lead_line(1)]).encode("utf-8")
    bad = "hubspot,h-2,2026-03-02T10:00:00Z,eve@acme.com,,Eve".encode("utf-8") + b"\xff\xfe\n"
    day(tmp_path, good + bad + ",".join(lead_line(3)).encode("utf-8") + b"\n")
    leads, set_aside = quarantined(tmp_path)
    assert len(leads) == 4 and set_aside["row_number"].tolist() == [2]
    assert set_aside["reasons"].tolist() == ["line 4: bytes that are not UTF-8 (in first_name)"]
    assert json.loads(set_aside["raw"].iloc[0])["first_name"] == "Eve\\xff\\xfe"  # shown, not replaced
    assert "\ufffd" not in "".join(leads["first_name"].dropna())


@pytest.mark.parametrize("delimiter, label", [(";", ";"), ("\t", "tab"), ("|", "|")])
def test_a_file_not_comma_separated_fails_in_one_line_saying_so(tmp_path, delimiter, label):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([HEADER, lead_line(0)])
    day(tmp_path, out.getvalue())
    with pytest.raises(ExtractError) as caught:
        read_extract(tmp_path, RUN_DATE)
    assert str(caught.value) == (f"{tmp_path / RUN_DATE.isoformat() / 'leads.csv'}: the header looks "
                                 f"{label}-delimited; the contract is comma-separated CSV")


def test_most_rows_unreadable_fails_the_run_as_a_critical_failure(tmp_path):
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([lead_line(i) for i in range(3)])
    day(tmp_path, ",".join(HEADER) + "\n" + out.getvalue())  # a comma header over ;-separated rows
    leads = read_extract(tmp_path, RUN_DATE).leads
    report = validate_extract(leads, "leads", RUN_DATE, ROOT / "expectations")
    ragged = "1 field(s) where the header has 6 (it looks ;-delimited; the contract is comma-separated CSV)"
    assert report.critical[0] == (
        "leads: rows the file could not give whole (3 of 3 checked values unexpected (100.0%); at most 50% may "
        f"fail), e.g. line 2: {ragged}, line 3: {ragged}, line 4: {ragged}")


def test_empty_files_and_a_header_alone(tmp_path):
    day(tmp_path, b"")
    with pytest.raises(ExtractError, match=r"leads\.csv: the file is empty \(no header row\)$"):
        read_extract(tmp_path, RUN_DATE)
    for text in (",".join(HEADER), ",".join(HEADER) + "\r\n", "\ufeff" + ",".join(HEADER) + "\n\n"):
        day(tmp_path, text)
        leads = read_extract(tmp_path, RUN_DATE).leads
        assert leads.empty and list(leads.columns) == HEADER


def test_values_are_strings_as_written_blank_is_none(tmp_path):
    day(tmp_path, csv_text([["hubspot", "007", "2026-03-02T10:00:00Z", "  ", "0042", "N\x00A"]]))
    leads = read_extract(tmp_path, RUN_DATE).leads
    assert leads.iloc[0].tolist() == ["hubspot", "007", "2026-03-02T10:00:00Z", None, "0042", "NA"]


INTERNAL = ["lead_id", "row_number", "bot_reason", "reasons", "custom_attributes", "_created_at_utc",
            "_longest_value", "_released_row", "_read_error", "_raw_line", "email_key", "custom", "disposition"]


def test_extra_columns_named_like_internal_ones_are_kept_apart(tmp_path):
    header = [*HEADER, *INTERNAL]
    day(tmp_path, csv_text([[*lead_line(0), *[f"v-{n}" for n in INTERNAL]],
                            [*lead_line(1)[:3], "", "", "Bo", *[""] * len(INTERNAL)]], header),
        activities=csv_text([["hubspot", "a-1", "h-0", "2026-03-02T11:00:00Z", "page_view", "L-9", "bot!"]],
                            ["source_system", "activity_id", "source_lead_id", "occurred_at", "activity_type",
                             "lead_id", "bot_reason"]))
    extract = read_extract(tmp_path, RUN_DATE)
    leads = extract.leads
    report = validate_extract(leads, "leads", RUN_DATE, ROOT / "expectations")
    screened = screen_leads(leads, report, load_fraud_rules(ROOT / "config" / "fraud.yaml"), RUN_DATE)
    assert screened.set_aside["row_number"].tolist() == [1]  # no email or phone: quarantined
    assert json.loads(screened.set_aside["raw"].iloc[0]) == {
        **dict(zip(HEADER, [*lead_line(1)[:3], None, None, "Bo"])), **{n: None for n in INTERNAL}}
    survivor = screened.survivors.iloc[0]
    assert survivor["row_number"] == 0 and survivor["email_key"] == "person0@acme0.com"
    activities, _ = screen_rows(extract.frames["activities"], None, "activities", RUN_DATE)
    assert activities["row_number"].tolist() == [0]
    assert "lead_id" not in activities.columns and "bot_reason" not in activities.columns


def test_parquet_and_csv_extracts_read_alike(tmp_path):
    from synthetic.generate import generate_extracts

    generate_extracts(tmp_path / "csv", RUN_DATE, 1, 60, seed=3)
    generate_extracts(tmp_path / "parquet", RUN_DATE, 1, 60, seed=3, fmt="parquet")
    from_csv, from_parquet = read_extract(tmp_path / "csv", RUN_DATE), read_extract(tmp_path / "parquet", RUN_DATE)
    for stem, frame in from_csv.frames.items():
        pd.testing.assert_frame_equal(from_parquet.frames[stem], frame, obj=stem)
    assert "custom:crm_score" in from_csv.leads.columns  # the generator's extra columns, kept apart


def test_waiting_for_a_late_extract_looks_until_it_lands_or_time_is_up(tmp_path):
    from tasks.intake.extract import wait_for_extract

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
        if now[0] >= 25:
            (tmp_path / RUN_DATE.isoformat()).mkdir(exist_ok=True)

    assert wait_for_extract(tmp_path, RUN_DATE, 100, 10, sleep=sleep, clock=lambda: now[0]) == 30
    assert slept == [10, 10, 10]
    slept.clear()
    assert wait_for_extract(tmp_path / "other", RUN_DATE, 25, 10, sleep=sleep, clock=lambda: now[0]) is None
    assert slept == [10, 10, 5]
