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
from tasks.warehouse import open_warehouse, query

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
    engine = open_warehouse(url)
    try:
        with engine.connect() as conn:
            identities = query(conn, "evaluate_identities")
            scores = query(conn, "evaluate_scores")
    finally:
        engine.dispose()
    return score_quality(truth, identities, scores)


def cost_curve(days: int, leads_per_day: int, seed: int, folder: Path | None = None) -> dict[str, Any]:
    """Wall time of each nightly run over a backfill at constant daily volume."""
    extracts, url = _prepare(folder, days, leads_per_day, seed)
    # Warm-up: the first flow run in a process pays for imports and the Prefect client.
    warm = extracts.parent / "warmup"
    generate_extracts(warm, FIRST_DAY, 1, leads_per_day, seed + 1)
    nightly(run_date=FIRST_DAY, extracts_dir=str(warm), warehouse_url=f"sqlite:///{extracts.parent / 'warm.db'}")
    seconds, rows_in = [], []
    for offset in range(days):
        started = time.perf_counter()
        summary = nightly(run_date=FIRST_DAY + timedelta(days=offset), extracts_dir=str(extracts),
                          warehouse_url=url)
        seconds.append(time.perf_counter() - started)
        rows_in.append(sum(summary.counts["extract"].values()))
    first, last = statistics.median(seconds[:3]), statistics.median(seconds[-3:])
    return {
        "days": days,
        "leads_per_day": leads_per_day,
        "seconds_per_day": [round(s, 3) for s in seconds],
        "input_rows_per_day": rows_in,
        "day_last_over_day_1": round(seconds[-1] / seconds[0], 3),
        "median_last_3_over_first_3": round(last / first, 3),
        "input_rows_last_over_day_1": round(rows_in[-1] / rows_in[0], 3),
    }
