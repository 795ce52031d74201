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
from tasks.evaluate import pairwise_quality, score_quality
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


def dedupe_quality(days: int, leads_per_day: int, seed: int, hard: bool, folder: Path | None = None
                   ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Pairwise quality of identity resolution over generated days run through the real flow,
    with recall per planted duplicate kind and the merges that joined different people
    (returned with the figures, for inspection)."""
    where = folder or Path(tempfile.mkdtemp(prefix="mql-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    (where / "warehouse.db").unlink(missing_ok=True)
    generate_extracts(where / "extracts", FIRST_DAY, days, leads_per_day, seed, hard=hard)
    extracts, url = where / "extracts", f"sqlite:///{(where / 'warehouse.db').resolve()}"
    started = time.perf_counter()
    for offset in range(days):
        nightly(run_date=FIRST_DAY + timedelta(days=offset), extracts_dir=str(extracts), warehouse_url=url)
    seconds = time.perf_counter() - started
    truth = pd.read_csv(extracts / "ground_truth.csv", dtype=str, keep_default_na=False)
    identities, merges = query_warehouse(url, "mql", "evaluate_identities", "evaluate_merges")
    loaded = truth.merge(identities, on=["source_system", "source_lead_id"])
    figures = pairwise_quality(loaded["person_id"], loaded["lead_id"])
    first_lead = loaded.drop_duplicates("person_id").set_index("person_id")["lead_id"]
    duplicates = loaded[loaded["is_duplicate"] == "true"]
    found = duplicates["lead_id"] == duplicates["person_id"].map(first_lead)
    by_kind = found.groupby(duplicates["dup_kind"]).agg(["mean", "size"])
    negatives = loaded[loaded["hard_case"] != ""]
    shared = negatives.groupby("lead_id")["person_id"].transform("nunique") > 1
    person = dict(zip(zip(truth["source_system"], truth["source_lead_id"]), truth["person_id"]))
    lead_person = loaded.groupby("lead_id")["person_id"].agg(lambda p: p.mode().iloc[0])
    merges["person"] = [person.get(k) for k in zip(merges["source_system"], merges["source_lead_id"])]
    merges["matched_person"] = [
        person.get((s, i)) if isinstance(s, str) else lead_person.get(lead)
        for s, i, lead in zip(merges["matched_source_system"], merges["matched_source_lead_id"],
                              merges["matched_lead_id"])]
    wrong = merges[merges["person"] != merges["matched_person"]]
    return {
        **figures,
        "records": len(loaded),
        "recall_by_kind": {kind: {"recall": round(float(row["mean"]), 4), "rows": int(row["size"])}
                           for kind, row in by_kind.iterrows()},
        "negatives_loaded": negatives.groupby("hard_case").size().to_dict(),
        "negatives_wrongly_merged": negatives[shared].groupby("hard_case").size().to_dict(),
        "wrong_merges_by_rule": wrong.groupby("rule").size().to_dict(),
        "flow_seconds": round(seconds, 1),
    }, wrong
