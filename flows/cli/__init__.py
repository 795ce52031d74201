"""The `mql` command, by audience: running.py runs the pipeline, operating.py looks after a
warehouse, modelling.py learns and measures scoring models, benchmarking.py measures; common.py
holds what they share."""

# each registers its commands on the app
from flows.cli import benchmarking, modelling, operating, running  # noqa: F401
from flows.cli.common import app, main

__all__ = ["app", "main"]
