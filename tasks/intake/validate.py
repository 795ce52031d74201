"""Validation stage: check each extract frame against its Great Expectations suite.

Suites are GX 1.x ExpectationSuite JSON files, `expectations/<suite>.json`, one per extract file.
Each expectation's `meta.severity` says what a failure does (GX's own `severity` field, a
Data Docs label, is not used):

- ``critical``: file-level; any failure fails the run before anything is written. `mostly`
  applies, e.g. "fail when more than half of created_at is unparseable". Critical
  expectations run first; if one fails, the others are not run.
- ``row``: every failing row is quarantined with the expectation's name
  ("<column>: <expectation type>"). `mostly` is refused here, because a row that fails is
  quarantined whatever the share of failures; pair a row expectation with a critical one that
  uses `mostly` to also fail the run above a threshold.
- ``warn``: recorded in the results only.

An expectation whose column is absent from the file is skipped and recorded as passed (an
absent optional column is empty for the pipeline; an absent required column is caught by the
critical `expect_column_to_exist` checks).

Before validation, `prepare_frame` adds helper columns (names start with "_") for rules GX cannot
state on raw strings: `_<column>_utc` (required timestamps parsed as the pipeline parses them,
NaT when missing or unparseable), `_longest_value` (characters of the row's longest value), `_has_identity` (leads: something that tells who the person is, see `has_identity`) and
`_activity_id_repeat` (activities: the id on the second and later rows with the same
(source_system, activity_id)) and `_readable` (False for a row the extract stage could not read
whole; such a row is quarantined with the reader's reason, naming its line, in place of the
expectations it fails for want of values). Suites name values known only at run time with `$PARAMETER`:
`run_end` (first instant after the run date, UTC), `activity_types` and `outcome_statuses`
(from tasks.intake.contract).
"""

from __future__ import annotations

import functools
import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tasks.intake.contract import ACTIVITY_TYPES, EXTRACT_FILES, OUTCOME_STATUSES, custom_column
from tasks.errors import ConfigError
from tasks.intake.extract import READ_ERROR
from tasks.screening.normalize import parse_timestamps

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult

SEVERITIES = ("critical", "row", "warn")
RESULT_COLUMNS = ["suite", "expectation", "column", "severity", "success", "unexpected_count",
                  "element_count", "observed"]
# Required timestamp columns per suite; each gets a parsed `_<name>_utc` helper column.
TIMESTAMP_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("created_at",), "activities": ("occurred_at",), "outcomes": ("occurred_at",),
}
# COMPLETE is the only format with every failing row's index; the index query string and the
# sample lists would only cost time on large frames.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE", "return_unexpected_index_query": False, "partial_unexpected_count": 0,
}
_GX_LOCK = threading.Lock()  # one shared GX context; validations in threads take turns


@dataclass(frozen=True)
class ValidationReport:
    """What validation found in one extract file."""

    suite: str                  # "leads" / "activities" / "outcomes"
    critical: list[str]         # one-line messages; non-empty => the run fails before writing anything
    quarantined: pd.DataFrame   # index = input row index; "reasons": "; "-joined failed row expectations
    results: pd.DataFrame       # one row per expectation, columns RESULT_COLUMNS
    # GX's results, in suite order, for Data Docs; counts only (no row values or indexes).
    gx_results: tuple[ExpectationValidationResult, ...] = ()


@dataclass(frozen=True)
class Check:
    """One expectation of a suite file, with the pipeline's severity."""

    position: int               # place in the suite file; results keep this order
    severity: str
    type: str
    columns: tuple[str, ...]    # columns it reads; empty for table-level expectations
    config: dict[str, Any]      # the expectation as written in the file

    @property
    def label(self) -> str:
        """How quarantine reasons and messages name this check: by the contract column(s), never by
        a "_" helper column (`created_at: missing or not a timestamp`)."""
        if len(self.columns) == 1 and self.columns[0].startswith("_"):
            return _helper_label(self.columns[0], self.type, self.config.get("kwargs") or {})
        return f"{', '.join(self.columns)}: {self.type}" if self.columns else self.type

    @property
    def contract_columns(self) -> str:
        """The file's columns this check reads, as results name them (a helper column by the contract
        columns it is made from: `created_at`, `email, phone`; `(row)` for a whole-row check)."""
        helpers = {"_has_identity": "email, phone, first_name, last_name", "_longest_value": "(row)", "_readable": "(row)"}
        if len(self.columns) == 1 and self.columns[0] in helpers:
            return helpers[self.columns[0]]
        return ", ".join(self.shown_column or c if c.startswith("_") else c for c in self.columns) \
            if len(self.columns) == 1 else ", ".join(self.columns)

    @property
    def shown_column(self) -> str | None:
        """The file column whose values a message shows for a failing row (None: READ_ERROR's text)."""
        if len(self.columns) != 1:
            return None
        column = self.columns[0]
        for source, names in TIMESTAMP_COLUMNS.items():
            for name in names:
                if column == f"_{name}_utc":
                    return name
        return {"_activity_id_repeat": "activity_id", "_readable": None}.get(column, column) \
            if column.startswith("_") else column


# What a check on a "_" helper column means, by expectation type, named by the contract's columns.
_TIMESTAMP_MEANINGS = {"expect_column_values_to_not_be_null": "missing or not a timestamp",
                       "expect_column_values_to_be_between": "later than the run date"}
_HELPER_MEANINGS = {
    ("_longest_value", "expect_column_values_to_be_between"): "a value longer than {max_value} characters",
    ("_has_identity", "expect_column_values_to_be_in_set"): "email, phone, name: none that tells who the person is",
    ("_activity_id_repeat", "expect_column_values_to_be_null"): "activity_id: repeated for the same source_system",
    ("_readable", "expect_column_values_to_be_in_set"): "rows the file could not give whole",
}


def _helper_label(column: str, kind: str, kwargs: dict[str, Any]) -> str:
    if column.startswith("_") and column.endswith("_utc") and kind in _TIMESTAMP_MEANINGS:
        return f"{column[1:-4]}: {_TIMESTAMP_MEANINGS[kind]}"
    meaning = _HELPER_MEANINGS.get((column, kind))
    if meaning is None:
        return f"{column}: {kind}"
    return meaning.format(**{k: v for k, v in kwargs.items() if isinstance(v, (int, float, str))})


@dataclass(frozen=True)
class _CriticalPass:
    """A frame prepared for its suite, the checks that can run on it, and the critical ones' outcomes."""

    prepared: pd.DataFrame
    parameters: dict[str, Any]
    runnable: list[Check]
    skipped: list[Check]
    critical: list[Check]
    outcomes: dict[int, ExpectationValidationResult]
    messages: list[str]


def _critical_pass(frame: pd.DataFrame, suite: str, run_date: date, expectations_dir: Path) -> _CriticalPass:
    checks = load_suite(Path(expectations_dir) / f"{suite}.json", suite)
    prepared = prepare_frame(frame, suite)
    parameters = suite_parameters(run_date)
    present = set(prepared.columns)
    runnable = [c for c in checks if c.type == "expect_column_to_exist" or set(c.columns) <= present]
    critical = [c for c in runnable if c.severity == "critical"]
    outcomes = _run(prepared, suite, critical, parameters)
    return _CriticalPass(prepared, parameters, runnable, [c for c in checks if c not in runnable], critical,
                         outcomes, _critical_messages(suite, critical, outcomes, frame))


def critical_failures(frame: pd.DataFrame, suite: str, run_date: date, expectations_dir: Path) -> list[str]:
    """What makes one extract frame unusable by its suite's critical expectations, as
    `validate_extract` words it in `critical`; empty when they pass. The row expectations do not
    run: they quarantine rows, and stop a night only when one raises, which that night's full
    validation finds (a re-run chain then puts every date back)."""
    return _critical_pass(frame, suite, run_date, expectations_dir).messages


def validate_extract(frame: pd.DataFrame, suite: str, run_date: date, expectations_dir: Path) -> ValidationReport:
    """Validate one extract frame (strings, RangeIndex) against `expectations_dir/<suite>.json`."""
    first = _critical_pass(frame, suite, run_date, expectations_dir)
    if first.messages:  # the file is unusable: row-level results would only be noise
        results = _results(suite, first.critical, first.outcomes, [], len(frame))
        return ValidationReport(suite, first.messages, _quarantine(frame, {}), results, _counts_only(first.outcomes))

    rest = [c for c in first.runnable if c.severity != "critical"]
    outcomes = first.outcomes | _run(first.prepared, suite, rest, first.parameters)
    # A row expectation that raised cannot say which rows fail: the run must not go on without it.
    messages = [_error_message(suite, c, outcomes[c.position]) for c in rest
                if c.severity == "row" and _raised(outcomes[c.position])]
    reasons: dict[Any, list[str]] = defaultdict(list)
    for check in rest:
        if check.severity == "row" and not _raised(outcomes[check.position]):
            for index in outcomes[check.position].result.get("unexpected_index_list", []):
                reasons[index].append(check.label)
    if READ_ERROR in frame.columns:
        for index, error in frame[READ_ERROR].dropna().items():
            reasons[index] = [error]
    results = _results(suite, first.runnable, outcomes, first.skipped, len(frame))
    # Last: _counts_only strips the row indexes the lines above read.
    return ValidationReport(suite, messages, _quarantine(frame, reasons), results, _counts_only(outcomes))


# What Data Docs may show of a result: counts and shares, never the failing values themselves
# (they are personal data) nor the index of every failing row (they are many).
_SHOWN_RESULT_KEYS = ("element_count", "missing_count", "missing_percent", "unexpected_count",
                      "unexpected_percent", "unexpected_percent_nonmissing", "unexpected_percent_total")


def _counts_only(outcomes: dict[int, ExpectationValidationResult]) -> tuple[ExpectationValidationResult, ...]:
    kept = []
    for position in sorted(outcomes):
        outcome = outcomes[position]
        result = outcome.result or {}
        shown = {k: result[k] for k in _SHOWN_RESULT_KEYS if k in result}
        if isinstance(result.get("observed_value"), (int, float, bool)):
            shown["observed_value"] = result["observed_value"]
        shown["partial_unexpected_list"] = []
        outcome.result = shown
        kept.append(outcome)
    return tuple(kept)


@functools.cache
def _page_view() -> Any:
    """GX's page view, made once per process: each makes a Jinja environment of its own, which
    compiles the page templates anew (0.3 s a page)."""
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView()


def write_data_docs(reports: dict[str, ValidationReport], folder: Path, title: str) -> Path:
    """Render each suite's results as a Great Expectations Data Docs page under `folder`, with an
    index page linking them; returns the index page."""
    from html import escape

    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    with _GX_LOCK:
        for name, report in reports.items():
            results = [_named_by_contract(result) for result in report.gx_results]
            passed = sum(bool(r.success) for r in results)
            page = ExpectationSuiteValidationResult(
                success=passed == len(results), results=results, suite_name=name,
                statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                            "unsuccessful_expectations": len(results) - passed,
                            "success_percent": 100.0 * passed / len(results) if results else 100.0},
                # The page names its data asset from batch_kwargs: the extract file.
                meta={"run_id": title, "active_batch_definition": None,
                      "batch_kwargs": {"data_asset_name": f"{name}.csv"}},
            )
            html = _page_view().render(ValidationResultsPageRenderer().render(page))
            (folder / f"{name}.html").write_text(offline_page(html, title), encoding="utf-8")
            failed = len(results) - passed
            links.append(f'<li><a href="{escape(name)}.html">{escape(name)}</a>: {passed} passed, '
                         f"{failed} failed, {len(report.quarantined)} row(s) quarantined"
                         + (f", critical: {escape(report.critical[0])}" if report.critical else "") + "</li>")
    index = folder / "index.html"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{DATA_DOCS_STYLE}</style></head>"
            f"<body><h1>Validation: {escape(title)}</h1><ul>{''.join(links)}</ul></body></html>")
    index.write_text(page, encoding="utf-8")
    return index


# How Data Docs name a "_" helper column: by the contract's columns it is made from.
_DOCS_HELPER_NAMES = {
    "_longest_value": "the row's longest value, in characters",
    "_has_identity": "email, phone, first_name, last_name: any that tells who the person is",
    "_activity_id_repeat": "activity_id repeated for the same source_system",
    "_readable": "the row, read whole",
}


def docs_column(column: str) -> str:
    """A column as Data Docs show it: a contract column as it is; a "_" helper column by what it
    is made from (`created_at, as a timestamp`)."""
    if not column.startswith("_"):
        return column
    if column.endswith("_utc") and any(column == f"_{name}_utc" for names in TIMESTAMP_COLUMNS.values()
                                       for name in names):
        return f"{column[1:-4]}, as a timestamp"
    return _DOCS_HELPER_NAMES.get(column, column.lstrip("_"))


def _named_by_contract(result: ExpectationValidationResult) -> ExpectationValidationResult:
    """A validation result whose expectation names its column as the contract does (GX's pages
    print the `column` argument as it is)."""
    config = result.expectation_config
    column = config.kwargs.get("column") if config is not None else None
    if isinstance(column, str) and column.startswith("_"):
        result.expectation_config = type(config)(
            type=config.type, kwargs={**config.kwargs, "column": docs_column(column)}, meta=config.meta)
    return result


# Data Docs pages are read offline and from any folder: GX's page links its stylesheets and scripts
# from the internet and its navigation to a site layout this folder does not have.
DATA_DOCS_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;max-width:1200px;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;"
    "vertical-align:top}.card{border:1px solid #ddd;border-radius:4px;margin:1em 0;padding:.5em}"
    ".card-header{font-weight:bold;background:#f5f5f5;padding:.4em}.text-danger{color:#b00020}"
    ".text-success{color:#1b7f3b}.badge{border:1px solid #999;border-radius:3px;padding:0 .3em}"
    "nav,.navbar{background:#f5f5f5;padding:.5em;margin-bottom:1em}a{color:#0b5cad}"
    ".fa,.fas,.far{font-style:normal;font-weight:bold}.fa-check-circle::before{content:'\\2713 passed'}"
    ".fa-times::before{content:'\\2717 failed'}.fa:not(.fa-check-circle):not(.fa-times),"
    ".fas:not(.fa-check-circle):not(.fa-times),.far{display:none}code{background:#f3f3f3;padding:0 .2em}"
)


def offline_page(page: str, title: str) -> str:
    """A GX Data Docs page that works offline and on its own: no stylesheet, script, image or icon
    from the internet (a small inline stylesheet instead), no newsletter footer, its "Home" and suite links to this run's
    index page, the run time it lacks (`__none__`) named by the run."""
    import re
    from html import escape

    page = re.sub(r"<link\b[^>]*href=\"(?:https?:)?//[^\"]*\"[^>]*>", "", page)
    page = re.sub(r"<link\b[^>]*rel=\"shortcut icon\"[^>]*>", "", page)
    page = re.sub(r"<script\b[^>]*src=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>", "", page)
    page = re.sub(r"<img\b[^>]*src=\"(?:https?:)?//[^\"]*\"[^>]*>", "Data Docs", page)
    page = re.sub(r"<footer>.*?</footer>", "", page, flags=re.DOTALL)
    page = re.sub(r"href=\"(?:\.\./)+(?:index\.html|expectations/[^\"]*)\"", "href=\"index.html\"", page)
    page = page.replace("__none__", escape(title))
    return page.replace("</head>", f"<style>{DATA_DOCS_STYLE}</style></head>", 1)


def summary_markdown(reports: dict[str, ValidationReport], data_docs: Path | None) -> str:
    """The validation summary of a run as Markdown (for a Prefect artifact)."""
    lines = ["| file | expectations | failed | critical | quarantined rows |", "|---|---|---|---|---|"]
    for name, report in reports.items():
        failed = report.results[~report.results["success"]]
        lines.append(f"| {name} | {len(report.results)} | {len(failed)} | {len(report.critical)} | "
                     f"{len(report.quarantined)} |")
    failures = [f"- {r.suite}: `{r.expectation}` on `{r.column}` ({r.severity}): {r.observed}"
                for report in reports.values()
                for r in report.results[~report.results["success"]].itertuples(index=False)]
    return "\n".join(["# Validation", "", *lines, "", *failures,
                      *(["", f"Data Docs: `{data_docs}`"] if data_docs else [])])


def _text_lengths(column: pd.Series) -> pd.Series:
    """Characters of each text value (0 for a missing or non-text value), counted by Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(column.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: one value at a time
        return column.map(lambda v: len(v) if isinstance(v, str) else 0)
    return pd.Series(pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False), index=column.index)


def prepare_frame(frame: pd.DataFrame, suite: str) -> pd.DataFrame:
    """A copy of `frame` as plain objects plus the "_" helper columns its suite checks."""
    out = frame.astype(object)
    for column in TIMESTAMP_COLUMNS.get(suite, ()):
        if column in out.columns:
            # The parser the later stages use, so "valid" here means "usable" there.
            out[f"_{column}_utc"] = parse_timestamps(out[column])
    # The longest value of each row, in characters: a pasted document or a 50 MB field is
    # quarantined whole rather than carried into every later stage.
    own = [name for name in frame.columns if not str(name).startswith("_")]
    out["_longest_value"] = pd.concat([_text_lengths(frame[name]) for name in own], axis=1).max(axis=1).astype(
        "int64") if own else 0
    out["_readable"] = frame[READ_ERROR].isna() if READ_ERROR in frame.columns else True
    if suite == "leads":
        out["_has_identity"] = has_identity(out)
    if suite == "activities" and {"source_system", "activity_id"} <= set(out.columns):
        key = out[["source_system", "activity_id"]]
        repeat = key.notna().all(axis=1) & key.duplicated(keep="first")
        out["_activity_id_repeat"] = out["activity_id"].where(repeat, None)
    return out


def suite_parameters(run_date: date) -> dict[str, Any]:
    """Values for the suites' `$PARAMETER` references."""
    run_end = datetime.combine(run_date + timedelta(days=1), time.min, tzinfo=timezone.utc)
    return {"run_end": pd.Timestamp(run_end), "activity_types": list(ACTIVITY_TYPES),
            "outcome_statuses": list(OUTCOME_STATUSES)}


def load_suite(path: Path, suite: str) -> list[Check]:
    """Read and check a suite file; every problem raises ConfigError naming the file and expectation."""
    if suite not in EXTRACT_FILES:
        raise ConfigError(f"unknown extract file {suite!r}: expected one of {', '.join(EXTRACT_FILES)}")
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read expectation suite: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("name") != suite:
        raise ConfigError(f"{path}: the suite's \"name\" must be {suite!r}")
    if not isinstance(document.get("expectations"), list):
        raise ConfigError(f"{path}: \"expectations\" must be a list")
    return [_check(path, i, raw) for i, raw in enumerate(document["expectations"])]


def _check(path: Path, position: int, raw: Any) -> Check:
    where = f"{path}: expectation {position + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object with type, kwargs and meta")
    where += f" ({raw.get('type')})"
    severity = (raw.get("meta") or {}).get("severity")
    if severity not in SEVERITIES:
        raise ConfigError(f"{where}: meta.severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    expectation = _gx_expectation(raw, where)
    kwargs = raw.get("kwargs") or {}
    if severity == "row":
        from great_expectations.expectations.expectation import (
            ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation,
        )

        per_row = ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation
        if not isinstance(expectation, per_row):
            raise ConfigError(f"{where}: severity row needs a per-row (map) expectation")
        if "mostly" in kwargs:
            raise ConfigError(f"{where}: severity row quarantines every failing row, so mostly has no "
                              "effect; add a critical expectation with mostly to fail the run above a share")
    columns = kwargs.get("column_list") or [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return Check(position, severity, raw["type"], tuple(str(c) for c in columns), raw)


def _gx_expectation(raw: dict[str, Any], where: str) -> Any:
    """The GX Expectation object for one expectation of a suite file."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:
        return ExpectationConfiguration(**raw).to_domain_obj()
    except Exception as exc:  # GX raises its own, pydantic's and TypeError for a bad entry
        detail = " ".join(str(exc).split())[:300]
        raise ConfigError(f"{where}: invalid expectation: {detail}") from exc


@functools.cache
def _batch_definition() -> BatchDefinition:
    """A whole-dataframe batch definition in an in-memory GX context, created once per process."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    # GX hashes every cell of a batch under this many bytes into a fingerprint that only labels the
    # batch (twice per validation: 4.4 of the 6.8 s validating a 1 M-activity day); nothing here
    # reads it, so no batch is hashed.
    pandas_execution_engine.HASH_THRESHOLD = 0
    config = DataContextConfig(
        progress_bars=ProgressBarsConfig(globally=False),  # no tqdm "Calculating Metrics" in logs
        analytics_enabled=False,
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("extract").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole frame")


def _run(frame: pd.DataFrame, suite: str, checks: list[Check],
         parameters: dict[str, Any]) -> dict[int, ExpectationValidationResult]:
    """Validate `frame` against `checks` in one GX call; results keyed by check position."""
    if not checks:
        return {}
    import great_expectations as gx

    # GX's metrics work on the columns it is given: give it only those checked.
    read = [name for name in frame.columns if any(name in c.columns for c in checks)]
    with _GX_LOCK:
        expectations = [_gx_expectation(c.config, f"{suite}: {c.label}") for c in checks]
        gx_suite = gx.ExpectationSuite(name=suite, expectations=expectations)
        for check, expectation in zip(checks, gx_suite.expectations):
            expectation.id = str(check.position)  # GX returns results out of order; the id finds them
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame[read]})
        result = batch.validate(gx_suite, result_format=RESULT_FORMAT, expectation_parameters=parameters)
    return {int(r.expectation_config.id): r for r in result.results}


def _critical_messages(suite: str, checks: list[Check], outcomes: dict[int, ExpectationValidationResult],
                       frame: pd.DataFrame) -> list[str]:
    missing = [c.columns[0] for c in checks
               if c.type == "expect_column_to_exist" and not outcomes[c.position].success]
    messages = [f"{suite}: missing required column(s): {', '.join(missing)}"] if missing else []
    for check in checks:
        outcome = outcomes[check.position]
        if check.type == "expect_column_to_exist" or outcome.success:
            continue
        if _raised(outcome):
            messages.append(_error_message(suite, check, outcome))
        else:
            mostly = check.config["kwargs"].get("mostly")
            tolerance = f"; at most {1 - mostly:.0%} may fail" if mostly is not None else ""
            samples = _samples(frame, check, outcome.result.get("unexpected_index_list") or [])
            messages.append(f"{suite}: {check.label} ({_observed(check, outcome)}{tolerance})"
                            + (f", e.g. {samples}" if samples else ""))
    return messages


SAMPLES = 3         # offending values a message shows
SAMPLE_CHARS = 40   # of each, at most


def _samples(frame: pd.DataFrame, check: Check, rows: list[Any]) -> str:
    """Up to three failing rows as `line 2: "03/04/2026"` (lines counted from the header, 1; an
    e-mail address masked), so that the file can be fixed without a search."""
    from tasks.screening.review import mask_email

    column = check.shown_column
    shown = []
    for index in list(rows)[:SAMPLES]:
        if column is None:
            error = frame[READ_ERROR].get(index) if READ_ERROR in frame.columns else None
            shown.append(str(error) if error else f"line {int(index) + 2}")
            continue
        value = frame[column].get(index) if column in frame.columns else None
        if isinstance(value, str) and "@" in value:
            value = mask_email(value)
        text = "(empty)" if value is None else json.dumps(str(value)[:SAMPLE_CHARS], ensure_ascii=False)
        shown.append(f"line {int(index) + 2}: {text}")
    return ", ".join(shown)


def _raised(outcome: ExpectationValidationResult) -> bool:
    return bool((outcome.exception_info or {}).get("raised_exception"))


def _error_message(suite: str, check: Check, outcome: ExpectationValidationResult) -> str:
    return f"{suite}: {check.label} could not be evaluated: {_observed(check, outcome)}"


def _observed(check: Check, outcome: ExpectationValidationResult) -> str:
    """A short summary of what the expectation saw; never row values (they may be personal data)."""
    if _raised(outcome):
        message = " ".join(str(outcome.exception_info.get("exception_message") or "").split())
        return f"error: {message}"[:200]
    result = outcome.result or {}
    if check.type == "expect_column_to_exist":
        return "present" if outcome.success else "absent"
    if "unexpected_count" in result:
        # Most map expectations skip missing values; the share is of the values checked, as in `mostly`.
        checked = result.get("element_count", 0) - result.get("missing_count", 0)
        share = result.get("unexpected_percent") or 0.0
        return f"{result['unexpected_count']} of {checked} checked values unexpected ({share:.1f}%)"
    return f"observed {result.get('observed_value')!r}"[:200]


def _results(suite: str, checks: list[Check], outcomes: dict[int, ExpectationValidationResult],
             skipped: list[Check], rows: int) -> pd.DataFrame:
    records = []
    for check in sorted([*checks, *skipped], key=lambda c: c.position):
        outcome = outcomes.get(check.position)
        if outcome is None:
            records.append((suite, check.type, check.contract_columns, check.severity, True, 0, rows,
                            "skipped: column not in the file (treated as empty)"))
            continue
        result = outcome.result or {}
        records.append((suite, check.type, check.contract_columns or None, check.severity,
                        bool(outcome.success), result.get("unexpected_count"),
                        result.get("element_count", rows), _observed(check, outcome)))
    results = pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)
    return results.astype({"success": bool, "unexpected_count": "Int64", "element_count": "Int64"})


def _quarantine(frame: pd.DataFrame, reasons: dict[Any, list[str]]) -> pd.DataFrame:
    """Quarantined rows in input order: index = input row index, "reasons" column."""
    index = frame.index[frame.index.isin(list(reasons))]
    return pd.DataFrame({"reasons": ["; ".join(reasons[i]) for i in index]}, index=index, dtype=object)


# Besides an email or a phone, a name identifies a person together with one of these (a date
# of birth only where the file has one, as its own column or a custom attribute).
IDENTITY_WITH_NAME = ("company", "city", "date_of_birth", custom_column("date_of_birth"))


def has_identity(frame: pd.DataFrame) -> pd.Series:
    """Lead rows that carry an identity: an email address or a phone number (as typed: a malformed
    address still names someone), or a first or last name with a company, city or date of birth.
    Such a lead is kept even when it cannot be emailed."""
    named = _non_empty(frame, "first_name") | _non_empty(frame, "last_name")
    placed = pd.concat([_non_empty(frame, column) for column in IDENTITY_WITH_NAME], axis=1).any(axis=1)
    return _non_empty(frame, "email") | _non_empty(frame, "phone") | (named & placed)


def _non_empty(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where `column` holds non-blank text; an absent column is empty."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    values = frame[column]
    return values.notna() & (values.astype(str).str.strip() != "")
