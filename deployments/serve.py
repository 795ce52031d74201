"""The second way to run the deployments: serve them from this process (no work pool, no worker).

    MQL_TIMEZONE=Europe/Berlin MQL_WAREHOUSE_URL=... MQL_EXTRACTS_DIR=... .venv/bin/python deployments/serve.py

The warehouse URL comes from MQL_WAREHOUSE_URL or the Prefect Secret block that
MQL_WAREHOUSE_URL_SECRET_BLOCK names, never from a flow parameter. The schedules, tags and concurrency limits are read from deployments/prefect.yaml, the one place
they are declared; MQL_TIMEZONE must name the schedule's time zone, since the nightly run scores
the day before its scheduled start there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prefect import serve  # noqa: E402
from prefect.schedules import Cron  # noqa: E402

from flows.nightly import backfill, nightly  # noqa: E402

PREFECT_YAML = Path(__file__).resolve().parent / "prefect.yaml"
FLOWS = {"nightly": nightly, "backfill": backfill}


def declared() -> dict[str, dict[str, Any]]:
    """The deployments of prefect.yaml, by name."""
    return {d["name"]: d for d in yaml.safe_load(PREFECT_YAML.read_text())["deployments"]}


def deployments() -> list[Any]:
    """Both flows as deployments with prefect.yaml's schedules, tags and concurrency limits."""
    return [FLOWS[name].to_deployment(
                name=name, tags=spec.get("tags"), concurrency_limit=spec.get("concurrency_limit"),
                schedules=[Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
                           for s in spec.get("schedules") or []] or None)
            for name, spec in declared().items()]


if __name__ == "__main__":
    serve(*deployments())
