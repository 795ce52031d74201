"""Benchmarks that run the real flows on generated extracts and return their figures."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from flows.nightly import nightly
from tasks.evaluate import score_quality
from tasks.generate import generate_extracts
from tasks.warehouse import query_warehouse

FIRST_DAY = date(2026, 3, 2)


def _prepare(folder: Path | None, days: int, leads_per_day: int, seed: int) -> tuple[Path, str]:
    where = folder or Path(tempfile.mkdtemp(prefix="mql-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    (where / "warehouse.db").unlink(missing_ok=True)
    generate_extracts(where / "extracts", FIRST_DAY, days, leads_per_day, seed)
    return where / "extracts", f"sqlite:///{(where / 'warehouse.db').resolve()}"


def model_quality(days: int, leads_per_day: int, seed: int, model_path: str | None,
                  folder: Path | None = None) -> dict[str, Any]:
    """ROC AUC of the model's total score against the generator's hidden conversions."""
    extracts, url = _prepare(folder, days, leads_per_day, seed)
    for offset in range(days):
        nightly(run_date=FIRST_DAY + timedelta(days=offset), extracts_dir=str(extracts), warehouse_url=url,
                model_path=model_path)
    truth = pd.read_csv(extracts / "ground_truth.csv", dtype=str, keep_default_na=False)
    identities, scores = query_warehouse(url, "mql", "evaluate_identities", "evaluate_scores")
    return score_quality(truth, identities, scores)


def cost_curve(days: int, leads_per_day: int, seed: int, warmup_days: int = 10,
               folder: Path | None = None) -> dict[str, Any]:
    """Wall and CPU time of each nightly run over a backfill at constant daily volume.

    The first `warmup_days` are loaded untimed: they let the generated activity streams reach a
    steady daily volume (each lead keeps acting for days after it arrives) and pay the one-off
    costs of a process (imports, Prefect client). The timed days then show whether a night costs
    more as history grows. CPU time is this process's, steadier than wall time on a shared machine.
    """
    extracts, url = _prepare(folder, warmup_days + days, leads_per_day, seed)
    wall, cpu, rows_in = [], [], []
    for offset in range(warmup_days + days):
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = nightly(run_date=FIRST_DAY + timedelta(days=offset), extracts_dir=str(extracts),
                          warehouse_url=url)
        if offset >= warmup_days:
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            rows_in.append(sum(summary.counts["extract"].values()))

    def ratio(series: list[float]) -> dict[str, float]:
        return {"last_over_first": round(series[-1] / series[0], 3),
                "median_last_3_over_median_first_3": round(statistics.median(series[-3:])
                                                           / statistics.median(series[:3]), 3)}

    return {
        "warmup_days": warmup_days,
        "timed_days": days,
        "leads_per_day": leads_per_day,
        "input_rows_per_day": rows_in,
        "wall_seconds_per_day": [round(s, 3) for s in wall],
        "cpu_seconds_per_day": [round(s, 3) for s in cpu],
        "wall": ratio(wall),
        "cpu": ratio(cpu),
        "input_rows": ratio([float(r) for r in rows_in]),
    }
