"""Errors a user can act on: the CLI prints their one-line message and exits non-zero."""


class MqlError(Exception):
    """A failure with a one-line message that names what is wrong and where."""


class ConfigError(MqlError, ValueError):
    """A configuration file (scoring model, fraud rules, settings) is invalid."""


class ExtractError(MqlError):
    """An extract folder or file is missing, unreadable or fails a critical validation."""


class WarehouseError(MqlError):
    """The warehouse cannot be reached or refuses the run."""


class ConservationError(MqlError):
    """Input rows and stage outputs do not add up: something would be lost."""


class BackfillError(MqlError):
    """A date of a backfill failed: the backfill stopped there."""
