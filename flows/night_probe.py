"""The timed night of `mql bench night`: one run date, as `mql run` runs it, in a process of its own
(`python -m flows.night_probe DATE EXTRACTS WAREHOUSE_URL`), which prints its figures as JSON: wall
and CPU seconds from the process's start, what importing Prefect and Great Expectations cost,
seconds by stage, the dashboard rebuilt after the run (as `mql run` rebuilds it), peak resident
memory, and the time Python's cycle collector took (with how many full collections).

Nothing heavy is imported before the clock starts, so the import costs are the night's own."""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path


def peak_rss_mb() -> int:
    """This process's peak resident memory. Linux's VmHWM starts afresh with a new program;
    getrusage's maximum would carry over the parent's peak into a spawned process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class CollectorClock:
    """Seconds Python's cycle collector ran, and how many full collections, while installed."""

    def __init__(self) -> None:
        self.seconds, self.full_collections, self._started = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full_collections += info["generation"] == 2

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def timed_night(run_date: date, extracts: str, warehouse_url: str) -> dict[str, object]:
    """Run one date through `mql run`'s code path and time it."""
    with CollectorClock() as collector:
        figures = _timed_night(run_date, extracts, warehouse_url)
    return {**figures, "gc_seconds": round(collector.seconds, 2), "gc_full_collections": collector.full_collections}


def _timed_night(run_date: date, extracts: str, warehouse_url: str) -> dict[str, object]:
    started, started_cpu = time.perf_counter(), time.process_time()
    from flows.cli.common import _quiet_prefect

    _quiet_prefect()  # as the mql command, before Prefect reads its settings
    import prefect  # noqa: F401

    prefect_imported = time.perf_counter()
    import great_expectations  # noqa: F401

    gx_imported = time.perf_counter()
    from flows.cli.running import run_dates

    summary = run_dates(run_date, run_date, extracts, warehouse_url, None, show_progress=False)[-1]
    run_ended = time.perf_counter()
    dashboard_seconds = rebuilt_dashboard(run_date, extracts, warehouse_url)  # as `mql run` does after
    ended = time.perf_counter()
    stages = summary.stage_seconds
    return {
        "wall_seconds": round(ended - started, 2),
        "cpu_seconds": round(time.process_time() - started_cpu, 2),
        # Processes it started and waited for: the Dask workers of a partitioned night.
        "children_cpu_seconds": round(sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
                                          for f in ("ru_utime", "ru_stime")), 2),
        "peak_rss_mb": peak_rss_mb(),
        "prefect_import_seconds": round(prefect_imported - started, 2),
        "gx_import_seconds": round(gx_imported - prefect_imported, 2),
        "stage_seconds": stages,
        "dashboard_seconds": round(dashboard_seconds, 2),
        "outside_stages_seconds": round(run_ended - gx_imported - sum(stages.values()), 2),
        "counts": summary.counts,
    }


def rebuilt_dashboard(run_date: date, extracts: str, warehouse_url: str) -> float:
    """Seconds to rebuild the dashboard across run dates once the date is written."""
    from flows.nightly import rebuild_dashboard, resolve_settings
    from flows.settings import warehouse_option

    started = time.perf_counter()
    with warehouse_option(warehouse_url):
        if rebuild_dashboard(resolve_settings(extracts_dir=extracts), run_date) is None:
            raise RuntimeError("the dashboard was not rebuilt (see the warning above)")
    return time.perf_counter() - started


if __name__ == "__main__":
    day, folder, url = sys.argv[1:4]
    print(json.dumps(timed_night(date.fromisoformat(day), folder, url)))
