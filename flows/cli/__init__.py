"""The `mql` command, by audience: running.py runs the pipeline, operating.py looks after a
warehouse, benchmarking.py measures; common.py holds what they share."""

from flows.cli import benchmarking, operating, running  # noqa: F401  (each registers its commands on the app)
from flows.cli.common import app, main

__all__ = ["app", "main"]
