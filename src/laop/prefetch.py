"""Start a command's heaviest reads while the console script loads the rest of laop.

Loading Typer, SQLAlchemy and the table classes takes about half a second, during
which a second processor sits idle. Most of a report's own time is often a statement
or two: for `laop kpi`, cadence compliance's tally of the month's contacts and the
grade histories of the buyers it walks; for `laop digest`, the open reply clocks and
the due list. On a SQLite store the console script builds those statements
(``services.compliance_query``, ``services.due_query``: free of the database stack) and
starts them on a read-only connection in a thread before it loads anything else. The
heavy ones end in a sort, so SQLite computes all their rows in the first step, without
holding the interpreter lock; the rows become Python tuples once the command asks for
them (that needs the lock, which the loading command holds nearly all the time). For
`laop import`, it starts reading the workbook's sheet (``services.sheet.read_ahead``).

The command uses the rows only when they are certainly what it would read itself:
the same database file, the same statement text (so the same month or day, time zone,
owner …), and no commit by anyone between the early read and the command's own
(``PRAGMA data_version``, checked for each statement once the command's transaction
has begun reading). Otherwise, or when anything went wrong early, the command reads
as usual.
"""

import atexit
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["discard", "start", "take"]

# Per command: the options that take a value, and those that are flags.
_OPTIONS = {
    "kpi": ({"--month", "--owner", "--xlsx"}, {"--json"}),
    "digest": ({"--date", "--owner", "--format", "--mail-to"}, {"--all", "--mail"}),
    "import": (
        {"--sheet", "--map", "--owner", "--on-duplicate", "--errors"},
        {"--dry-run", "--strict", "--json"},
    ),
}
# Per command: how many arguments it takes (none unless listed).
_ARGUMENTS = {"import": 1}


@dataclass
class _Read:
    """One early read: the statements it ran and what they returned."""

    path: Path
    command: str
    options: dict[str, str]
    actor: str | None
    thread: threading.Thread | None = None
    connection: sqlite3.Connection | None = None
    results: dict[str, list[Any]] = field(default_factory=dict)  # statement: rows
    version: int | None = None
    asked: threading.Event = field(default_factory=threading.Event)  # the command waits
    stopped: threading.Event = field(default_factory=threading.Event)


_pending: _Read | None = None


def start(args: list[str]) -> None:
    """Begin the early read that the command line ``args`` will want, if any."""
    global _pending
    discard()
    parsed = _parse(args)
    if parsed is None:
        return
    db, actor, command, options = parsed
    if command == "import":
        # A workbook's sheet takes its import longest to read, and needs no store.
        from laop.services.sheet import read_ahead

        read_ahead(Path(options[""]), sheet=options.get("--sheet"))
        return
    from laop.location import database_value, sqlite_file

    try:
        value = database_value(db)
        if "://" in value:
            return  # a server database: nothing to gain from a second connection
        path = sqlite_file(value)
        if not path.is_file():
            return
    except (OSError, RuntimeError):  # an unreadable path: the command will say so
        return
    read = _Read(
        path=path,
        command=command,
        options=options,
        actor=actor or os.environ.get("LAOP_USER"),
    )
    read.thread = threading.Thread(target=_run, args=(read,), name="laop-prefetch", daemon=True)
    read.thread.start()
    _pending = read
    atexit.register(_abandon, read)


def take(connection: Any, statement: str) -> list[Any] | None:
    """The early read's rows if they are exactly what ``statement`` would return now.

    ``connection`` is the command's SQLAlchemy connection, inside its transaction.
    """
    read = _pending
    if read is None or read.thread is None:
        return None
    if connection.dialect.name != "sqlite":
        return None
    database = connection.engine.url.database
    if not database or Path(database).resolve() != read.path:
        return None
    try:
        # The command's own snapshot starts at its first read; make sure it has.
        connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
        read.asked.set()
        read.thread.join()
        if read.connection is None or statement not in read.results:
            return None
        (version,) = read.connection.execute("PRAGMA data_version").fetchone()
        if version != read.version:
            read.results.clear()  # someone committed in between: read again
            return None
        return read.results.pop(statement)
    except sqlite3.Error:
        read.results.clear()
        return None
    finally:
        if not read.results:
            discard()


def discard() -> None:
    """Stop and forget the early read, if any."""
    global _pending
    read, _pending = _pending, None
    if read is not None:
        _abandon(read)


def _parse(args: list[str]) -> tuple[str | None, str | None, str, dict[str, str]] | None:
    """(--db, --as, command, its options) when ``args`` run a command read early.

    A command's argument, if it takes one, is its option "".
    """
    db = actor = None
    rest = list(args)
    while rest and rest[0].startswith("-"):
        name, _, value = rest.pop(0).partition("=")
        if name not in ("--db", "--as") or (not value and not rest):
            return None  # --help, --version, or something this does not know
        if not value:
            value = rest.pop(0)
        if name == "--db":
            db = value
        else:
            actor = value
    if not rest or rest[0] not in _OPTIONS:
        return None
    command, rest = rest[0], rest[1:]
    valued, flags = _OPTIONS[command]
    arguments = _ARGUMENTS.get(command, 0)
    options: dict[str, str] = {}
    while rest:
        item = rest.pop(0)
        name, _, value = item.partition("=")
        if not item.startswith("-") and arguments and "" not in options:
            options[""] = item
        elif name in flags and not value:
            options[name] = ""
        elif name in valued and (value or rest):
            options[name] = value or rest.pop(0)
        else:
            return None  # --help, an argument, or an option this does not know
    if arguments and "" not in options:
        return None
    return db, actor, command, options


def _run(read: _Read) -> None:
    """Run the command's heaviest statements (in the prefetch thread)."""
    from laop.enums import DEFAULT_TIMEZONE

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
        # A statement's first step does its work: each ends in a sort, so SQLite has
        # computed every row before it returns one, and it does so without the
        # interpreter lock. Turning rows into tuples needs the lock, which the loading
        # command holds nearly all the time: that waits until the command asks.
        cursors = []
        for statement in _STATEMENTS[read.command](read, connection, tz, today):
            if read.stopped.is_set():
                break
            cursors.append((statement, connection.execute(statement)))
        read.asked.wait()
        for statement, cursor in cursors:
            if read.stopped.is_set():
                break
            read.results[statement] = cursor.fetchall()
        connection.execute("COMMIT")
    except Exception:  # an early read is only ever a shortcut: the command reads as usual
        read.results.clear()


def _kpi(read: _Read, _connection: sqlite3.Connection, tz: ZoneInfo, today: date) -> list[str]:
    """`laop kpi`: cadence compliance of the month, for the whole team."""
    from laop.services.compliance_query import (
        clamp_as_of,
        history_statement,
        tally_statement,
        windows,
    )

    month = read.options.get("--month")
    if month is None:
        year, number = today.year, today.month
    else:
        year_text, number_text = month.strip().split("-")
        year, number = int(year_text), int(number_text)
    found = windows(year, number, clamp_as_of(year, number, today), tz)
    if not found:
        return []
    return [
        tally_statement(found, owner_id=None, dialect="sqlite"),
        history_statement(found, owner_id=None),
    ]


def _digest(read: _Read, connection: sqlite3.Connection, tz: ZoneInfo, today: date) -> list[str]:
    """`laop digest` (one digest, not --mail): the open reply clocks and the due list of
    the buyers it shows."""
    from laop.services.due_query import due_statement, open_clocks_statement

    options = read.options
    if "--mail" in options:
        return []
    if "--owner" in options:
        found = connection.execute(
            'SELECT id, role FROM "user" WHERE name = ?', (options["--owner"].strip(),)
        ).fetchall()
    elif "--all" in options:
        found = [(None, "manager")]
    elif read.actor:
        found = connection.execute(
            'SELECT id, role FROM "user" WHERE name = ?', (read.actor.strip(),)
        ).fetchall()
    else:
        found = connection.execute('SELECT id, role FROM "user"').fetchall()
    if len(found) != 1:
        return []
    user_id, role = found[0]
    owner_id = user_id if "--owner" in options or role != "manager" else None
    day = date.fromisoformat(options["--date"].strip()) if "--date" in options else today
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    statement = due_statement(
        as_of=day,
        as_of_end=end,
        owner_id=owner_id,
        grade=None,
        follow_up_only=True,
        with_product=True,
    )
    return [open_clocks_statement(owner_id=owner_id, breached_by=None), statement]


# Per command: the statements to read early, in the order the command reads them.
_STATEMENTS: dict[str, Callable[[_Read, sqlite3.Connection, ZoneInfo, date], list[str]]] = {
    "kpi": _kpi,
    "digest": _digest,
}


def _abandon(read: _Read) -> None:
    """Stop the early read if it still runs, and close its connection."""
    read.stopped.set()
    read.asked.set()
    if read.thread is None:
        return
    if read.connection is not None and read.thread.is_alive():
        read.connection.interrupt()
    read.thread.join()
    if read.connection is not None:
        read.connection.close()
        read.connection = None
