"""Errors that laop reports to the user as one sentence and an exit code.

Services raise these; the command line turns them into a styled line on stderr and
the exit code of the class. The codes are part of the command-line contract (README,
"Exit codes") so that scripts and cron can tell failures apart.
"""

__all__ = [
    "AmbiguousError",
    "ConflictError",
    "DatabaseError",
    "DeliveryError",
    "InvalidInput",
    "LaopError",
    "NotFound",
    "SchemaError",
]


class LaopError(Exception):
    """Base of every error laop reports without a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LaopError):
    """A value given by the user or read from a file is not acceptable."""

    exit_code = 3


class NotFound(LaopError):
    """A named customer, user, inquiry or setting does not exist."""

    exit_code = 4


class AmbiguousError(LaopError):
    """A name or lookup matches several records and the user must choose."""

    exit_code = 5

    def __init__(self, message: str, candidates: list | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class ConflictError(LaopError):
    """The request contradicts what is stored (e.g. merging a buyer into itself)."""

    exit_code = 6


class DatabaseError(LaopError):
    """The database cannot be opened or written."""

    exit_code = 7


class SchemaError(DatabaseError):
    """The database schema is older or newer than this version of laop."""

    exit_code = 8


class DeliveryError(LaopError):
    """Mail could not be delivered."""

    exit_code = 9
