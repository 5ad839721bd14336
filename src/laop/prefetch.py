"""Start a report's heaviest read while the console script loads the rest of laop.

Loading Typer, SQLAlchemy and the table classes takes about half a second, during
which a second processor sits idle. For `laop kpi` on a SQLite store, most of the
report's own time is one statement: cadence compliance's count of the month's
contacts. The console script builds that statement (``services.compliance_query``,
free of the database stack) and runs it on a read-only connection in a thread before
it loads anything else; SQLite runs it without holding the interpreter lock.

The command uses the rows only when they are certainly what it would read itself:
the same database file, the same statement text (so the same month, time zone and
day), and no commit by anyone between the early read and the command's own
(``PRAGMA data_version``, checked once the command's transaction has begun reading).
Otherwise, or when anything went wrong early, the command reads as usual.
"""

import atexit
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["discard", "start", "take"]


@dataclass
class _Read:
    """One early read: the statement it ran and what it returned."""

    path: Path
    month: str | None
    thread: threading.Thread | None = None
    connection: sqlite3.Connection | None = None
    statement: str | None = None
    rows: list[Any] | None = None
    version: int | None = None
    stopped: threading.Event = field(default_factory=threading.Event)


_pending: _Read | None = None


def start(args: list[str]) -> None:
    """Begin the early read that the command line ``args`` will want, if any."""
    global _pending
    discard()
    wanted = _kpi_month(args)
    if wanted is None:
        return
    db, month = wanted
    from laop.location import database_value, sqlite_file

    value = database_value(db)
    if "://" in value:
        return  # a server database: nothing to gain from a second connection
    read = _Read(path=sqlite_file(value), month=month)
    if not read.path.is_file():
        return
    read.thread = threading.Thread(target=_run, args=(read,), name="laop-prefetch", daemon=True)
    read.thread.start()
    _pending = read
    atexit.register(_abandon, read)


def take(connection: Any, statement: str) -> list[Any] | None:
    """The early read's rows if they are exactly what ``statement`` would return now.

    ``connection`` is the command's SQLAlchemy connection, inside its transaction.
    """
    global _pending
    read, _pending = _pending, None
    if read is None:
        return None
    try:
        if connection.dialect.name != "sqlite" or read.thread is None:
            return None
        database = connection.engine.url.database
        if not database or Path(database).resolve() != read.path:
            return None
        # The command's own snapshot starts at its first read; make sure it has.
        connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
        read.thread.join()
        if read.statement != statement or read.rows is None or read.connection is None:
            return None
        (version,) = read.connection.execute("PRAGMA data_version").fetchone()
        if version != read.version:
            return None  # someone committed in between: read again
        return read.rows
    except sqlite3.Error:
        return None
    finally:
        _abandon(read)


def discard() -> None:
    """Stop and forget the early read, if any."""
    global _pending
    read, _pending = _pending, None
    if read is not None:
        _abandon(read)


def _kpi_month(args: list[str]) -> tuple[str | None, str | None] | None:
    """(--db value, --month value) when ``args`` run `laop kpi`, else None."""
    db, rest = None, list(args)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        name, _, value = option.partition("=")
        if name not in ("--db", "--as") or (not value and not rest):
            return None  # --help, --version, or something this does not know
        if not value:
            value = rest.pop(0)
        if name == "--db":
            db = value
    if not rest or rest[0] != "kpi" or "--help" in rest or "-h" in rest:
        return None
    month = None
    for n, option in enumerate(rest):
        if option == "--month" and n + 1 < len(rest):
            month = rest[n + 1]
        elif option.startswith("--month="):
            month = option.partition("=")[2]
    return db, month


def _run(read: _Read) -> None:
    """Run the KPI report's compliance statement (in the prefetch thread)."""
    from laop.enums import DEFAULT_TIMEZONE
    from laop.services.compliance_query import clamp_as_of, tally_statement, windows

    try:
        connection = sqlite3.connect(
            f"{read.path.as_uri()}?mode=ro",
            uri=True,
            timeout=0.1,
            isolation_level=None,
            check_same_thread=False,
        )
        read.connection = connection
        connection.execute("BEGIN")
        row = connection.execute("SELECT value FROM setting WHERE key = 'timezone'").fetchone()
        (read.version,) = connection.execute("PRAGMA data_version").fetchone()
        tz = ZoneInfo(row[0] if row else DEFAULT_TIMEZONE)
        today = datetime.now(UTC).astimezone(tz).date()
        if read.month is None:
            year, month = today.year, today.month
        else:
            year_text, month_text = read.month.strip().split("-")
            year, month = int(year_text), int(month_text)
        found = windows(year, month, clamp_as_of(year, month, today), tz)
        if found and not read.stopped.is_set():
            statement = tally_statement(found, owner_id=None, dialect="sqlite")
            read.rows = connection.execute(statement).fetchall()
            read.statement = statement
        connection.execute("COMMIT")
    except Exception:  # an early read is only ever a shortcut: the command reads as usual
        read.rows = None


def _abandon(read: _Read) -> None:
    """Stop the early read if it still runs, and close its connection."""
    read.stopped.set()
    if read.thread is None:
        return
    if read.connection is not None and read.thread.is_alive():
        read.connection.interrupt()
    read.thread.join()
    if read.connection is not None:
        read.connection.close()
        read.connection = None
