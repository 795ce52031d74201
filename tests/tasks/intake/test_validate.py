from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tasks.intake.contract import ACTIVITY_TYPES, EXTRACT_FILES, OUTCOME_STATUSES
from tasks.errors import ConfigError
from tasks.intake.validate import (
    RESULT_COLUMNS, ValidationReport, critical_failures, suite_parameters, summary_markdown, validate_extract,
    write_data_docs,
)

EXPECTATIONS = Path(__file__).resolve().parents[3] / "expectations"
RUN_DATE = date(2026, 11, 23)


@pytest.fixture(scope="module", autouse=True)
def gx_imported() -> None:
    """Pay the 3-8 s Great Expectations import (and context set-up) once, before the tests."""
    validate_extract(extract_frame(lead()), "leads", RUN_DATE, EXPECTATIONS)


def lead(**values: Any) -> dict[str, Any]:
    row = {"source_system": "crm", "source_lead_id": "L1", "created_at": "2026-11-23T09:30:00Z",
           "email": "ann@example.com", "phone": None, "employee_count": "250", "annual_revenue": "1000000.50",
           "form_seconds": "42", "country": "DE"}
    return row | values


def extract_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Rows as the extract stage hands them over: object columns of strings, None when empty."""
    frame = pd.DataFrame(list(rows), dtype=object)
    return frame.where(frame.notna(), None)


def activity(**values: Any) -> dict[str, Any]:
    row = {"source_system": "crm", "activity_id": "A1", "source_lead_id": "L1",
           "occurred_at": "2026-11-23T10:00:00Z", "activity_type": "page_view"}
    return row | values


def outcome(**values: Any) -> dict[str, Any]:
    row = {"source_system": "crm", "source_lead_id": "L1", "occurred_at": "2026-11-23T10:00:00Z",
           "status": "won"}
    return row | values


def validate(suite: str, *rows: dict[str, Any], run_date: date = RUN_DATE) -> ValidationReport:
    return validate_extract(extract_frame(*rows), suite, run_date, EXPECTATIONS)


def reasons(report: ValidationReport) -> dict[int, str]:
    return report.quarantined["reasons"].to_dict()


def result_row(report: ValidationReport, expectation: str, column: str | None,
               severity: str | None = None) -> dict[str, Any]:
    results = report.results
    same_column = results["column"].isna() if column is None else results["column"] == column
    rows = results[(results["expectation"] == expectation) & same_column]
    if severity is not None:
        rows = rows[rows["severity"] == severity]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


def test_clean_file_passes_every_expectation():
    report = validate("leads", lead(), lead(source_lead_id="L2", email=None, phone="+49 30 123456"))

    assert report.suite == "leads"
    assert report.critical == []
    assert report.quarantined.empty
    assert list(report.quarantined.columns) == ["reasons"]
    assert list(report.results.columns) == RESULT_COLUMNS
    assert len(report.results) == len(json.loads((EXPECTATIONS / "leads.json").read_text())["expectations"])
    assert report.results["success"].all()
    assert set(report.results["suite"]) == {"leads"}


def test_missing_required_column_is_one_critical_message_naming_file_and_column():
    frame = extract_frame(lead(), lead(source_lead_id="L2")).drop(columns="created_at")

    report = validate_extract(frame, "leads", RUN_DATE, EXPECTATIONS)

    assert report.critical == ["leads: missing required column(s): created_at"]
    assert report.quarantined.empty
    # Critical checks run first and stop the rest: no row expectation ran on the broken file.
    assert set(report.results["severity"]) == {"critical"}
    assert result_row(report, "expect_column_to_exist", "created_at")["success"] is False


def test_missing_required_columns_of_activities_are_all_named():
    frame = extract_frame(activity()).drop(columns=["activity_id", "activity_type"])

    report = validate_extract(frame, "activities", RUN_DATE, EXPECTATIONS)

    assert report.critical == ["activities: missing required column(s): activity_id, activity_type"]


def test_absent_optional_columns_are_skipped_and_treated_as_empty():
    frame = extract_frame(lead(phone="+1 415 555 2671")).drop(columns=["employee_count", "email"])

    report = validate_extract(frame, "leads", RUN_DATE, EXPECTATIONS)

    assert report.critical == []
    assert report.quarantined.empty  # phone alone is contact enough
    skipped = result_row(report, "expect_column_values_to_match_regex", "employee_count")
    assert skipped["success"] is True
    assert skipped["observed"] == "skipped: column not in the file (treated as empty)"


def test_a_lead_without_email_or_phone_is_kept_when_it_carries_another_identity():
    from tasks.intake.contract import custom_column

    nothing = {"email": None, "phone": None}
    report = validate(
        "leads",
        lead(source_lead_id="1", **nothing, first_name="Ann", last_name="Lee", company="Acme"),  # name + company
        lead(source_lead_id="2", **nothing, last_name="Lee", city="Leeds"),                      # name + city
        lead(source_lead_id="3", **nothing, first_name="Ann", **{custom_column("date_of_birth"): "1980-02-01"}),
        lead(source_lead_id="4", **nothing, first_name="Ann", last_name="Lee"),                  # a name alone
        lead(source_lead_id="5", **nothing, company="Acme", city="Leeds"),                       # no name
        lead(source_lead_id="6", email="x@name@domain.com", phone=None),                         # malformed, but there
    )
    assert reasons(report) == {3: "email, phone, name: none that tells who the person is",
                               4: "email, phone, name: none that tells who the person is"}


def test_row_failures_are_quarantined_with_reason_and_row_index():
    report = validate(
        "leads",
        lead(),
        lead(source_lead_id=None),
        lead(source_lead_id="L3", email=None, phone="  "),
        lead(source_lead_id="L4", employee_count="-5", annual_revenue="1,000"),
        lead(source_lead_id="L5", form_seconds="fast"),
        lead(source_lead_id="L6", created_at="23/11/2026"),
    )

    assert report.critical == []
    assert reasons(report) == {
        1: "source_lead_id: expect_column_values_to_not_be_null",
        2: "email, phone, name: none that tells who the person is",
        3: "employee_count: expect_column_values_to_match_regex; "
           "annual_revenue: expect_column_values_to_match_regex",
        4: "form_seconds: expect_column_values_to_match_regex",
        5: "created_at: missing or not a timestamp",
    }


def test_quarantine_index_is_the_input_row_index():
    frame = extract_frame(lead(), lead(source_system=None), lead()).iloc[[2, 1, 0]]

    report = validate_extract(frame, "leads", RUN_DATE, EXPECTATIONS)

    assert list(report.quarantined.index) == [1]


def test_warn_failures_are_recorded_only():
    report = validate(
        "leads",
        lead(country="Germany", email="not-an-email"),
        lead(country="de", email="bob@example"),
        lead(source_lead_id="L2"),
    )

    assert report.critical == []
    assert report.quarantined.empty
    country = result_row(report, "expect_column_values_to_match_regex", "country")
    assert (country["severity"], country["success"], country["unexpected_count"]) == ("warn", False, 1)
    email = result_row(report, "expect_column_values_to_match_regex", "email")
    assert (email["severity"], email["success"], email["unexpected_count"]) == ("warn", False, 2)
    # The first two rows share (source_system, source_lead_id): deduplication merges them.
    unique = result_row(report, "expect_compound_columns_to_be_unique", "source_system, source_lead_id")
    assert (unique["severity"], unique["success"], unique["unexpected_count"]) == ("warn", False, 2)


def test_empty_leads_file_only_warns():
    report = validate_extract(extract_frame(lead()).iloc[0:0], "leads", RUN_DATE, EXPECTATIONS)

    assert report.critical == []
    assert report.quarantined.empty
    row_count = result_row(report, "expect_table_row_count_to_be_between", None)
    assert (row_count["severity"], row_count["success"], row_count["observed"]) == ("warn", False, "observed 0")


def test_mostly_lets_a_few_bad_timestamps_through_as_quarantined_rows():
    bad = [lead(source_lead_id=f"B{i}", created_at="yesterday") for i in range(2)]
    good = [lead(source_lead_id=f"G{i}") for i in range(3)]

    report = validate("leads", *bad, *good)

    assert report.critical == []
    assert list(report.quarantined.index) == [0, 1]
    tolerance = result_row(report, "expect_column_values_to_not_be_null", "created_at", "critical")
    assert (tolerance["success"], tolerance["unexpected_count"], tolerance["element_count"]) == (True, 2, 5)


def test_mostly_fails_the_run_when_most_timestamps_are_unparseable():
    bad = [lead(source_lead_id=f"B{i}", created_at="11/23/2026 09:30") for i in range(3)]
    good = [lead(source_lead_id=f"G{i}") for i in range(2)]

    report = validate("leads", *bad, *good)

    # The contract's column, what is wrong, and the first three offending values with their lines.
    assert report.critical == [
        "leads: created_at: missing or not a timestamp (3 of 5 checked values unexpected (60.0%); at most 50% "
        'may fail), e.g. line 2: "11/23/2026 09:30", line 3: "11/23/2026 09:30", line 4: "11/23/2026 09:30"'
    ]
    assert report.quarantined.empty


def test_critical_failures_are_the_reports_critical_messages_without_the_row_checks(monkeypatch):
    """What a re-run checks of each later date before replacing anything: the critical messages
    the night's validation would give, from the critical expectations alone."""
    import tasks.intake.validate as validate_module

    bad = [lead(source_lead_id=f"B{i}", created_at="11/23/2026 09:30") for i in range(3)]
    good = [lead(source_lead_id=f"G{i}") for i in range(2)]
    broken = extract_frame(*bad, *good)
    late_row = extract_frame(lead(), lead(source_lead_id="L2", created_at="2026-11-24T00:00:00Z"))
    severities: list[set[str]] = []
    real_run = validate_module._run
    monkeypatch.setattr(validate_module, "_run", lambda frame, suite, checks, parameters: (
        severities.append({c.severity for c in checks}) or real_run(frame, suite, checks, parameters)))

    assert critical_failures(broken, "leads", RUN_DATE, EXPECTATIONS) == \
        validate_extract(broken, "leads", RUN_DATE, EXPECTATIONS).critical != []
    severities.clear()
    assert critical_failures(late_row, "leads", RUN_DATE, EXPECTATIONS) == []
    assert severities == [{"critical"}]  # the row-level checks, which only quarantine rows, did not run
    assert not validate_extract(late_row, "leads", RUN_DATE, EXPECTATIONS).quarantined.empty


def test_timestamp_after_the_end_of_the_run_date_in_utc_is_quarantined():
    report = validate(
        "leads",
        lead(source_lead_id="L1", created_at="2026-11-23T23:59:59.999999Z"),
        lead(source_lead_id="L2", created_at="2026-11-24T00:00:00Z"),
        lead(source_lead_id="L3", created_at="2026-11-24T00:30:00+01:00"),  # 23:30 UTC on the 23rd
        lead(source_lead_id="L4", created_at="2026-11-23T20:00:00-05:00"),   # 01:00 UTC on the 24th
        lead(source_lead_id="L5", created_at="2026-11-23"),
    )

    assert reasons(report) == {
        1: "created_at: later than the run date",
        3: "created_at: later than the run date",
    }


def test_future_is_relative_to_the_run_date():
    row = lead(created_at="2026-11-23T09:30:00Z")

    assert validate("leads", row, run_date=date(2026, 11, 23)).quarantined.empty
    assert list(validate("leads", row, run_date=date(2026, 11, 22)).quarantined.index) == [0]


def test_unknown_activity_type_is_quarantined():
    report = validate(
        "activities",
        activity(),
        activity(activity_id="A2", activity_type="teleport"),
        activity(activity_id="A3", activity_type="Page_View"),
        activity(activity_id="A4", activity_type=None),
        activity(activity_id="A5", occurred_at="2026-11-25T00:00:00Z"),
    )

    assert report.critical == []
    assert reasons(report) == {
        1: "activity_type: expect_column_values_to_be_in_set",
        2: "activity_type: expect_column_values_to_be_in_set",
        3: "activity_type: expect_column_values_to_not_be_null",
        4: "occurred_at: later than the run date",
    }


def test_activity_value_is_optional_and_a_non_negative_number_when_given():
    """The optional measure: absent, the file passes as before; a non-numeric or negative value
    quarantines its row naming the column; mostly bad values fail the run naming their lines."""
    assert validate("activities", activity(), activity(activity_id="A2")).quarantined.empty
    report = validate(
        "activities",
        activity(value="95"),
        activity(activity_id="A2", value=" 12.5 "),
        activity(activity_id="A3", value=None),
        activity(activity_id="A4", value="-3"),
        activity(activity_id="A5", value="ninety"),
        activity(activity_id="A6", value="0"),
    )
    assert report.critical == []
    assert reasons(report) == {3: "value: expect_column_values_to_match_regex",
                               4: "value: expect_column_values_to_match_regex"}

    mostly_bad = validate("activities", activity(value="1,5"), activity(activity_id="A2", value="n/a"),
                          activity(activity_id="A3", value="-1"), activity(activity_id="A4", value="7"))
    assert mostly_bad.critical == [
        "activities: value: expect_column_values_to_match_regex (3 of 4 checked values unexpected (75.0%); at most "
        '50% may fail), e.g. line 2: "1,5", line 3: "n/a", line 4: "-1"'
    ]


def test_duplicate_activity_ids_beyond_the_first_are_quarantined():
    report = validate(
        "activities",
        activity(activity_id="A1"),
        activity(activity_id="A2"),
        activity(activity_id="A1", activity_type="email_click"),
        activity(activity_id="A1", source_system="web"),  # another system's id space
        activity(activity_id="A1"),
    )

    assert reasons(report) == {
        2: "activity_id: repeated for the same source_system",
        4: "activity_id: repeated for the same source_system",
    }
    repeat = result_row(report, "expect_column_values_to_be_null", "activity_id")
    assert (repeat["severity"], repeat["success"], repeat["unexpected_count"]) == ("row", False, 2)


def test_outcomes_with_unknown_status_or_bad_timestamp_are_quarantined():
    report = validate(
        "outcomes",
        outcome(),
        outcome(status="maybe"),
        outcome(occurred_at="soon"),
        outcome(status="lost", occurred_at="2026-11-22T08:00:00+02:00"),
    )

    assert report.critical == []
    assert reasons(report) == {
        1: "status: expect_column_values_to_be_in_set",
        2: "occurred_at: missing or not a timestamp",
    }


def test_hostile_strings_do_not_crash_validation():
    long_text = "x" * 10_000
    hostile = [
        lead(source_lead_id="1'; DROP TABLE leads; --", email="=HYPERLINK(\"http://evil\",\"click\")",
             company="Robert'); DELETE FROM leads;--"),
        lead(source_lead_id="\U0001F600\u202e", email="a@" + "." * 10_000 + "@", country="\x00\x00"),
        lead(source_lead_id="NUL\x00id", first_name=long_text, employee_count=long_text,
             form_seconds="1" * 10_000),
        lead(source_lead_id="L4", created_at="2026-11-23T09:30:00Z\x00" + long_text),
        lead(source_lead_id="L5", created_at="=NOW()", email="\n\t"),
        lead(source_lead_id="L6"),
    ]

    started = time.perf_counter()
    report = validate("leads", *hostile)
    elapsed = time.perf_counter() - started

    assert elapsed < 10  # the suites' patterns stay linear on 10 000-character values
    assert report.critical == []
    assert reasons(report) == {
        2: "employee_count: expect_column_values_to_match_regex",
        3: "created_at: missing or not a timestamp",
        4: "created_at: missing or not a timestamp; email, phone, name: none that tells who the person is",
    }
    email = result_row(report, "expect_column_values_to_match_regex", "email")
    assert (email["success"], email["unexpected_count"]) == (False, 3)


def test_results_frame_describes_each_expectation():
    report = validate("leads", lead(), lead(source_lead_id="L2", employee_count="many"),
                      lead(source_lead_id="L3", employee_count=None))

    results = report.results
    assert list(results.columns) == RESULT_COLUMNS
    assert list(results["severity"].iloc[:4]) == ["critical"] * 4  # suite file order
    assert result_row(report, "expect_column_values_to_match_regex", "employee_count") == {
        "suite": "leads", "expectation": "expect_column_values_to_match_regex", "column": "employee_count",
        "severity": "row", "success": False, "unexpected_count": 1, "element_count": 3,
        "observed": "1 of 2 checked values unexpected (50.0%)",
    }
    assert result_row(report, "expect_column_to_exist", "source_system")["observed"] == "present"
    assert result_row(report, "expect_table_row_count_to_be_between", None)["observed"] == "observed 3"
    assert results["success"].dtype == bool
    assert str(results["unexpected_count"].dtype) == "Int64"


def test_input_frame_is_left_as_it_was():
    frame = extract_frame(lead(), lead(source_lead_id=None))
    before = frame.copy()

    validate_extract(frame, "leads", RUN_DATE, EXPECTATIONS)

    pd.testing.assert_frame_equal(frame, before)


def test_validation_prints_nothing(capfd):
    validate("activities", activity(), activity(activity_type="teleport"))

    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")


@pytest.mark.parametrize("suite", list(EXTRACT_FILES))
def test_suites_check_exactly_the_contract_required_columns(suite):
    document = json.loads((EXPECTATIONS / f"{suite}.json").read_text())
    checked = [e["kwargs"]["column"] for e in document["expectations"]
               if e["type"] == "expect_column_to_exist" and e["meta"]["severity"] == "critical"]

    assert document["name"] == suite
    assert tuple(checked) == EXTRACT_FILES[suite][1]


def test_value_sets_come_from_the_contract():
    parameters = suite_parameters(RUN_DATE)

    assert parameters["activity_types"] == list(ACTIVITY_TYPES)
    assert parameters["outcome_statuses"] == list(OUTCOME_STATUSES)
    assert parameters["run_end"] == pd.Timestamp("2026-11-24T00:00:00Z")


def write_suite(folder: Path, expectations: list[dict[str, Any]], name: str = "outcomes") -> Path:
    (folder / f"{name}.json").write_text(json.dumps({"name": name, "expectations": expectations}))
    return folder


@pytest.mark.parametrize(("expectation", "message"), [
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "status"},
      "meta": {"severity": "fatal"}},
     "expectation 1 (expect_column_values_to_not_be_null): "
     "meta.severity must be one of critical, row, warn, not 'fatal'"),
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "status", "mostly": 0.9},
      "meta": {"severity": "row"}},
     "expectation 1 (expect_column_values_to_not_be_null): severity row quarantines every failing row"),
    ({"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "meta": {"severity": "row"}},
     "expectation 1 (expect_table_row_count_to_be_between): severity row needs a per-row (map) expectation"),
    ({"type": "expect_column_values_to_be_nul", "kwargs": {"column": "status"}, "meta": {"severity": "warn"}},
     "expectation 1 (expect_column_values_to_be_nul): invalid expectation"),
])
def test_bad_suite_is_a_config_error_naming_file_and_expectation(tmp_path, expectation, message):
    folder = write_suite(tmp_path, [expectation])

    with pytest.raises(ConfigError) as error:
        validate_extract(extract_frame(outcome()), "outcomes", RUN_DATE, folder)

    assert str(error.value).startswith(f"{folder / 'outcomes.json'}: {message}")


def test_suite_with_wrong_name_or_missing_file_is_a_config_error(tmp_path):
    write_suite(tmp_path, [], name="outcomes")
    (tmp_path / "outcomes.json").write_text(json.dumps({"name": "leads", "expectations": []}))

    with pytest.raises(ConfigError, match="the suite's \"name\" must be 'outcomes'"):
        validate_extract(extract_frame(outcome()), "outcomes", RUN_DATE, tmp_path)
    with pytest.raises(ConfigError, match="activities.json: cannot read expectation suite"):
        validate_extract(extract_frame(activity()), "activities", RUN_DATE, tmp_path)


def test_data_docs_site_and_summary_show_counts_not_values(tmp_path):
    reports = {
        "leads": validate("leads", lead(email="secret.person@example.com", country="Germany"),
                          lead(source_lead_id="L2", employee_count="lots")),
        "activities": validate("activities", activity()),
    }
    index = write_data_docs(reports, tmp_path / "docs", "2026-11-23 run r1")
    assert index == tmp_path / "docs" / "index.html"
    text = index.read_text()
    assert 'href="leads.html"' in text and "1 row(s) quarantined" in text and 'href="activities.html"' in text
    page = (tmp_path / "docs" / "leads.html").read_text()
    assert "employee_count" in page and "Failed" in page
    # Columns named as the contract names them, never by the "_" helper columns validation adds.
    assert not re.search(r"_(?:created_at_utc|longest_value|has_identity|readable)\b", page)
    assert "Data asset: leads.csv" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "created_at, as a timestamp" in page and "the row's longest value, in characters" in page
    assert "secret.person" not in page and "Germany" not in page and "lots" not in page
    # Offline and on its own: nothing from the internet, navigation to this run's index, no __none__.
    for html in (page, text):
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html) and "<style>" in html
    assert "__none__" not in page and "2026-11-23 run r1" in page
    assert set(re.findall(r'href="([^"#]+)"', page)) == {"index.html"}
    summary = summary_markdown(reports, index)
    assert "| leads | " in summary and "`employee_count` (row)" in summary and str(index) in summary
    assert "secret.person" not in summary
