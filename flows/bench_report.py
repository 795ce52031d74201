"""`mql bench report`: run the `mql bench` commands and write their figures, dated, with the machine
and the command behind each figure, to one markdown page (docs/benchmarks.md)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

from flows import benchmarks as bench
from flows.settings import PROJECT_ROOT

DEFAULT_FEBRL_DIR = PROJECT_ROOT.parent / "shared" / "benchmarks" / "febrl"
# Everything from this heading on is carried over unchanged when the page is regenerated.
RECORDED_HEADING = "## Recorded"
Figures = dict[str, Any]


@dataclass(frozen=True)
class Row:
    what: str
    figures: str


@dataclass(frozen=True)
class Benchmark:
    """One `mql bench` command and how its JSON becomes rows of the page."""

    name: str
    run: Callable[[], Figures]
    rows: Callable[[Figures], list[Row]]


@dataclass(frozen=True)
class Sizes:
    """The documented arguments of each benchmark, or tiny ones for a quick run."""

    dedupe_days: int
    dedupe_leads_per_day: int
    dedupe_seeds: tuple[int, ...]
    demo_days: int
    demo_leads_per_day: int
    fraud_days: int
    fraud_leads_per_day: int
    model_days: int
    model_leads_per_day: int
    cost_days: int
    cost_leads_per_day: int
    cost_warmup_days: int
    scale: tuple[tuple[int, int], ...]  # (incoming rows, existing leads) on SQLite
    scale_postgres: tuple[int, int]


FULL = Sizes(dedupe_days=3, dedupe_leads_per_day=1000, dedupe_seeds=(7, 3, 11), demo_days=7, demo_leads_per_day=1000,
             fraud_days=5, fraud_leads_per_day=1000, model_days=14, model_leads_per_day=1000,
             cost_days=30, cost_leads_per_day=2000, cost_warmup_days=10,
             scale=((100_000, 500_000), (1_000_000, 5_000_000)), scale_postgres=(1_000_000, 5_000_000))
QUICK = Sizes(dedupe_days=1, dedupe_leads_per_day=150, dedupe_seeds=(7,), demo_days=2, demo_leads_per_day=100,
              fraud_days=2, fraud_leads_per_day=100, model_days=8, model_leads_per_day=150,
              cost_days=3, cost_leads_per_day=100, cost_warmup_days=1,
              scale=((200, 1_000),), scale_postgres=(200, 1_000))


def _dedupe_rows(result: Figures) -> list[Row]:
    hard = result["hard_generated"]
    wrong = hard["wrong_merges_by_rule"] or "none"
    rows = [Row(f"identity resolution, hard generated set, {hard['records']} records through the nightly flow",
                f"precision {hard['precision']}, recall {hard['recall']}, F1 **{hard['f1']}**; "
                f"wrong merges by rule: {wrong}")]
    if "febrl" in result:
        sets = result["febrl"]
        rows.append(Row("identity resolution, FEBRL files",
                        "F1 " + ", ".join(f"{name} **{q['f1']}**" for name, q in sets.items())
                        + "; precision " + ", ".join(f"{name} {q['precision']}" for name, q in sets.items())))
    return rows


def _scale_rows(result: Figures) -> list[Row]:
    stage = result["stage"]
    return [Row(f"dedupe stage, {result['incoming']} rows against {result['existing']['leads']} leads "
                f"({result['existing']['match_keys']} stored keys), {result['database']}",
                f"**{stage['seconds']} s** (keys {stage['seconds_keys']}, look-up {stage['seconds_lookup']}, "
                f"linking {stage['seconds_link']}), peak **{stage['peak_rss_mb']} MB**; "
                f"{stage['links']} links")]


def _fraud_rows(result: Figures) -> list[Row]:
    return [Row(f"junk detection, {result['days']} days x {result['leads_per_day']} rows",
                f"precision **{result['precision']}**, recall **{result['recall']}** "
                f"({result['true_positives']} junk rows caught, {result['false_positives']} legitimate rows "
                f"rejected, {result['false_negatives']} junk rows missed)")]


def _model_rows(result: Figures) -> list[Row]:
    return [Row(f"scoring model, {result['leads']} leads, {result['converters']} converters",
                f"ROC AUC peak total **{result['auc_peak_total']}**, final total {result['auc_final_total']}, "
                f"final fit {result['auc_final_fit']}")]


def _cost_rows(result: Figures) -> list[Row]:
    wall = result["wall_seconds_per_day"]
    return [Row(f"nightly cost over a backfill, {result['timed_days']} timed nights of {result['leads_per_day']} "
                f"leads after {result['warmup_days']} untimed",
                f"wall {wall[0]} s first night, {wall[-1]} s last; median last 3 / first 3: wall "
                f"**{result['wall']['median_last_3_over_median_first_3']}**, "
                f"cpu {result['cpu']['median_last_3_over_median_first_3']}, "
                f"input rows {result['input_rows']['median_last_3_over_median_first_3']}")]


def _demo_rows(result: Figures) -> list[Row]:
    return [Row("the usual generated mix (the demo's data), duplicates and junk against the ground truth",
                f"duplicate precision {result['duplicate_precision']}, recall {result['duplicate_recall']}; "
                f"junk precision {result['junk_precision']}, recall {result['junk_recall']}")]


def plan(sizes: Sizes, febrl: Path | None, postgres_url: str | None) -> list[Benchmark]:
    """The benchmarks of a report, in the order of the page."""
    s = sizes
    planned = [Benchmark(f"dedupe seed {seed}",
                         lambda seed=seed: bench.dedupe_benchmark(s.dedupe_days, s.dedupe_leads_per_day, seed,
                                                                  febrl if seed == s.dedupe_seeds[0] else None,
                                                                  learn=s is not QUICK),
                         _dedupe_rows)
               for seed in s.dedupe_seeds]
    planned += [
        Benchmark("demo", lambda: bench.demo_benchmark(s.demo_days, s.demo_leads_per_day, 7), _demo_rows),
        Benchmark("fraud", lambda: bench.fraud_detection_benchmark(s.fraud_days, s.fraud_leads_per_day, 7),
                  _fraud_rows),
        Benchmark("model", lambda: bench.model_benchmark(s.model_days, s.model_leads_per_day, 7, None), _model_rows),
        Benchmark("cost", lambda: bench.cost_benchmark(s.cost_days, s.cost_leads_per_day, 7, s.cost_warmup_days),
                  _cost_rows),
    ]
    planned += [Benchmark(f"dedupe-scale {incoming} x {existing}",
                          lambda incoming=incoming, existing=existing: bench.dedupe_scale_benchmark(
                              incoming, existing, None, 7),
                          _scale_rows)
                for incoming, existing in s.scale]
    if postgres_url:
        incoming, existing = s.scale_postgres
        planned.append(Benchmark(f"dedupe-scale {incoming} x {existing} on PostgreSQL",
                                 lambda: bench.dedupe_scale_benchmark(incoming, existing, postgres_url, 7),
                                 _scale_rows))
    return planned


def _first_line(command: list[str], fallback: str = "unknown") -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=PROJECT_ROOT)
    except (OSError, subprocess.SubprocessError):
        return fallback
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else fallback


def _proc_value(path: str, field: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _postgres_version(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql("SHOW server_version").scalar())
    finally:
        engine.dispose()


def machine_facts(postgres_url: str | None) -> dict[str, str]:
    """What the figures were measured on."""
    memory_kb = _proc_value("/proc/meminfo", "MemTotal")
    facts = {
        "cores": str(os.cpu_count()),
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "memory": f"{round(int(memory_kb.split()[0]) / 1024**2, 1)} GB" if memory_kb else "unknown",
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres_version(postgres_url) if postgres_url else "not measured",
        "packages": ", ".join(f"{p} {version(p)}" for p in ("prefect", "pandas", "sqlalchemy", "rapidfuzz")),
        "code": _first_line(["git", "rev-parse", "--short", "HEAD"]),
    }
    return facts


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(when: datetime, quick: bool, facts: dict[str, str], results: list[tuple[Figures, list[Row]]],
           recorded: str) -> str:
    """The page: date, machine, one row per figure with the command that reproduces it, then
    whatever was recorded before."""
    mode = ("a quick run (`--quick`: tiny sizes that check the commands and the page; the figures mean little)"
            if quick else "a full run (each benchmark with its documented arguments)")
    lines = [
        "# Benchmarks", "",
        f"Measured on {when:%Y-%m-%d} ({when:%H:%M} UTC) by `mql bench report`, {mode}. The page is written "
        "by that command: regenerate it rather than editing the figures (`mql bench report --out "
        "docs/benchmarks.md`; a full run takes tens of minutes and, for the 1 M x 5 M dedupe stage, about "
        "4 GB; `--postgres URL` adds that stage on PostgreSQL). The section \"Recorded\" is carried over "
        "unchanged.", "",
        "## Machine", "", "| | |", "|---|---|",
        *(f"| {name} | {_cell(value)} |" for name, value in facts.items()), "",
        "## Figures", "",
        "| what | command | figures | seconds |", "|---|---|---|---|",
    ]
    for result, rows in results:
        seconds = result.get("seconds", result.get("stage", {}).get("seconds", ""))
        if "wall_seconds_per_day" in result:
            seconds = round(sum(result["wall_seconds_per_day"]), 1)
        for row in rows:
            lines.append(f"| {_cell(row.what)} | `{result['command']}` | {_cell(row.figures)} | {seconds} |")
    page = "\n".join(lines) + "\n"
    return page + ("\n" + recorded.strip("\n") + "\n" if recorded.strip() else "")


def recorded_section(page: Path) -> str:
    """The "Recorded" section of an earlier page, verbatim ("" when there is none)."""
    if not page.is_file():
        return ""
    text = page.read_text()
    at = text.find("\n" + RECORDED_HEADING)
    return text[at + 1:] if at >= 0 else ""


def write_report(out: Path, quick: bool = False, febrl: Path | None = None, postgres_url: str | None = None,
                 progress: Callable[[str], None] = lambda text: None) -> Path:
    """Run the benchmarks and write the page to `out`; the page's path."""
    if febrl is None and DEFAULT_FEBRL_DIR.is_dir():
        febrl = Path(os.path.relpath(DEFAULT_FEBRL_DIR))  # the command on the page, as typed from here
    when = datetime.now(timezone.utc)
    results = []
    for benchmark in plan(QUICK if quick else FULL, febrl, postgres_url):
        progress(f"bench report: {benchmark.name}")
        result = benchmark.run()
        results.append((result, benchmark.rows(result)))
    page = render(when, quick, machine_facts(postgres_url), results, recorded_section(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out
