"""What every `mql` command shares: the Typer app, one-line user errors, options, settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.console import Console

from tasks.errors import MqlError



app = typer.Typer(help="mql-pipeline: decide every night which leads are Marketing Qualified Leads.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
# Wide enough for the run table when the output is a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 160)
bench = typer.Typer(help="Benchmarks: each prints its figures as JSON.", no_args_is_help=True)
app.add_typer(bench, name="bench")
errors = Console(stderr=True)  # the progress bar


def fail(message: str, status: int) -> typer.Exit:
    """Print one unwrapped line to stderr; the exit to raise."""
    sys.stderr.write(message.replace("\n", " ") + "\n")
    return typer.Exit(status)

DateOption = Annotated[str, typer.Option(help="Run date, YYYY-MM-DD.")]
ExtractsOption = Annotated[str | None, typer.Option(
    "--extracts", help="Folder or fsspec URL (s3://bucket/path, gs://, abfs://, file://) of <YYYY-MM-DD>/ extract folders, "
            "or mapping:<name or file>: a loader's staging tables (MQL_SOURCE_URL).")]
WarehouseOption = Annotated[str | None, typer.Option("--warehouse", help="SQLAlchemy URL of the warehouse.")]
ModelOption = Annotated[str | None, typer.Option("--model", help="Scoring model YAML file.")]


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a user error as one line and exit non-zero, instead of a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MqlError as exc:
            raise fail(f"error: {exc}", 2) from None
        except Exception as exc:  # a database error the user can act on (a full disk, a read-only file): one line
            from tasks.warehouse.connection import database_problem

            problem = database_problem(exc, _shown_warehouse(kwargs.get("warehouse")))
            if problem is None:
                raise
            raise fail(f"error: {problem}", 2) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper


def _shown_warehouse(warehouse: str | None) -> str:
    """The command's warehouse URL without its password, for an error message ("" if unknown)."""
    try:
        url = sa.engine.make_url(warehouse_settings(warehouse).warehouse_url)
    except (MqlError, sa.exc.ArgumentError, ValueError):
        return ""
    return url.render_as_string(hide_password=True)


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MqlError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _quiet_prefect() -> None:
    # Stage logs belong in the Prefect UI; the terminal shows the progress bar, the summary and
    # a one-line error (Prefect would log the failure again, with a traceback).
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_INTERNAL_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Without PREFECT_API_URL a run starts Prefect's temporary API server, which can take 15 s and
    # more on a loaded machine; its default 20 s start-up limit would fail the night before any work.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def warehouse_settings(warehouse: str | None) -> Any:
    """The settings, with the warehouse of the --warehouse option if given."""
    from flows.nightly import resolve_settings
    from flows.settings import warehouse_option

    _quiet_prefect()  # reading a Secret block may start Prefect's temporary API server
    with warehouse_option(warehouse):
        return resolve_settings()


def main() -> None:
    sys.exit(app())
