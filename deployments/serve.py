"""The second way to run the deployments: serve them from this process (no work pool, no worker).

    MQL_TIMEZONE=Europe/Berlin MQL_WAREHOUSE_URL=... MQL_EXTRACTS_DIR=... .venv/bin/python deployments/serve.py

The schedule and parameters are those of deployments/prefect.yaml; MQL_TIMEZONE must name the
schedule's time zone, since the nightly run scores the day before its scheduled start there.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prefect import serve  # noqa: E402
from prefect.schedules import Cron  # noqa: E402

from flows.nightly import backfill, nightly  # noqa: E402

if __name__ == "__main__":
    serve(
        nightly.to_deployment(name="nightly", schedule=Cron("30 2 * * *", timezone="Europe/Berlin"),
                              tags=["mql"], concurrency_limit=1),
        backfill.to_deployment(name="backfill", tags=["mql"], concurrency_limit=1),
    )
