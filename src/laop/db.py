"""Where the store lives, how it is opened, and its schema version.

One engine per process; one ``session_scope()`` per command, which commits once or
rolls back everything, so a command that writes is all-or-nothing.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from laop.errors import DatabaseError, SchemaError
from laop.location import database_value, default_database_path, sqlite_file

__all__ = [
    "SCHEMA_HEAD",
    "SCHEMA_REVISIONS",
    "check_schema",
    "database_url",
    "default_database_path",
    "make_engine",
    "session_scope",
    "upgrade",
]

# Alembic revisions in order; the last is the head this code expects. A test keeps
# this in step with migrations/versions so that commands need not load Alembic.
SCHEMA_REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

BUSY_TIMEOUT_MS = 15_000


def database_url(db: str | None) -> str:
    """Turn a --db value (a path or a URL) into a SQLAlchemy URL."""
    value = database_value(db)
    if "://" in value:
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver laop supports; plain postgresql:// would mean psycopg2.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value
    return f"sqlite:///{sqlite_file(value)}"


def _prepare_sqlite_file(url: str) -> None:
    """Create the database file and its folder private to the user (0600 / 0700)."""
    raw = url.removeprefix("sqlite:///")
    if raw in ("", ":memory:"):
        return
    path = Path(raw)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        try:
            # SQLite gives the -wal and -shm files the mode of the main file.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise DatabaseError(f"Cannot create the database file {path}: {exc.strerror}.") from exc


def _on_sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # A writing command takes the write lock when its transaction starts, so that
    # concurrent writers queue on the busy timeout instead of failing when a read
    # lock cannot be upgraded; readers keep a plain snapshot and block nobody.
    immediate = conn.get_execution_options().get("laop_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Open an engine for ``url`` with the pragmas laop relies on."""
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        # Let SQLAlchemy, not the driver, issue BEGIN (the documented pysqlite recipe).
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(
            engine,
            "connect",
            lambda dbapi_connection, _r: setattr(dbapi_connection, "isolation_level", None),
        )
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise DatabaseError(
            f"The driver for {url.split('://')[0]} is not installed: {exc}."
        ) from exc
    except Exception as exc:  # bad URL syntax
        raise DatabaseError(f"Cannot use the database URL {url!r}: {exc}.") from exc


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database, or None for an empty database."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                if inspect(conn).get_table_names():
                    raise SchemaError(
                        "The database holds tables but no laop schema version; "
                        "point --db at a laop database."
                    )
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseError(f"Cannot open the database: {exc.orig}.") from exc


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head with Alembic; return (revision before, revision after)."""
    from alembic import command
    from alembic.config import Config

    before = current_revision(engine)
    if before is not None and before not in SCHEMA_REVISIONS:
        raise SchemaError(_newer_schema_message(before))
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, SCHEMA_HEAD


def _newer_schema_message(revision: str) -> str:
    return (
        f"The database schema ({revision}) is newer than this laop understands; "
        "upgrade laop before using this database."
    )


def check_schema(engine: Engine, *, create: bool = True) -> None:
    """Make sure the schema is at head: create an empty database, refuse an old or new one."""
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    if revision is None and create:
        upgrade(engine)
        return
    if revision is None:
        raise SchemaError("The database is empty; run `laop init` to create it.")
    if revision in SCHEMA_REVISIONS:
        raise SchemaError(
            f"The database schema ({revision}) is older than this laop ({SCHEMA_HEAD}); "
            "run `laop init` to upgrade it."
        )
    raise SchemaError(_newer_schema_message(revision))


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    ``write=False`` marks a read-only command: on SQLite it reads a snapshot without
    taking the write lock.
    """
    if write:
        bind = engine.execution_options(laop_write=True)
    elif engine.dialect.name == "postgresql":
        # One snapshot for every query of a report, however long it runs.
        bind = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        bind = engine  # SQLite in WAL mode: a read transaction is already a snapshot
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
