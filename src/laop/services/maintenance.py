"""Backups and health checks of the store (`laop db`)."""

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from laop.db import SCHEMA_HEAD, current_revision
from laop.errors import ConflictError, DatabaseError

__all__ = ["backup", "check", "pg_dump_command"]

TABLES = ("user", "customer", "customer_contact", "grade_change", "inquiry", "message", "setting")


def pg_dump_command(url: str, path: Path) -> str:
    """The pg_dump command that backs up the PostgreSQL database at ``url`` to ``path``."""
    # The password stays out of the command line (and shell history): pg_dump reads it
    # from PGPASSWORD or ~/.pgpass.
    parsed = make_url(url).set(drivername="postgresql", password=None)
    target = parsed.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file={_quote(str(path))} {_quote(target)}"


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def backup(engine: Engine, path: Path, *, overwrite: bool = False) -> dict[str, Any]:
    """Copy a SQLite database to ``path`` with SQLite's online backup API.

    Safe while others write: the copy is a consistent snapshot. The copy is 0600.
    """
    if engine.dialect.name != "sqlite":
        raise DatabaseError("Online backup copies SQLite files; use pg_dump for PostgreSQL.")
    target = path.expanduser().resolve()
    source = Path(engine.url.database or "").resolve()
    if target == source:
        raise ConflictError("The backup file must not be the database itself.")
    if target.exists() and not overwrite:
        raise ConflictError(f"{target} exists; pass --overwrite to replace it.")
    if not target.parent.is_dir():
        raise DatabaseError(f"The folder {target.parent} does not exist.")
    import sqlite3

    temporary = target.with_name(target.name + ".partial")
    temporary.unlink(missing_ok=True)
    os.close(os.open(temporary, os.O_CREAT | os.O_WRONLY, 0o600))
    raw = engine.raw_connection()
    try:
        destination = sqlite3.connect(temporary)
        try:
            raw.driver_connection.backup(destination)  # type: ignore[union-attr]
        finally:
            destination.close()
    except sqlite3.Error as exc:
        temporary.unlink(missing_ok=True)
        raise DatabaseError(f"The backup failed: {exc}.") from exc
    finally:
        raw.close()
    # Renaming last means a reader never finds a half-written backup under the name.
    temporary.replace(target)
    return {"backup": str(target), "bytes": target.stat().st_size}


def check(engine: Engine) -> dict[str, Any]:
    """Integrity, schema version and row counts; ``ok`` is False when anything is wrong."""
    revision = current_revision(engine)
    problems: list[str] = []
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            integrity = [row[0] for row in conn.execute(text("PRAGMA integrity_check"))]
            if integrity != ["ok"]:
                problems.extend(integrity[:10])
            orphans = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
            if orphans:
                problems.append(f"{len(orphans)} rows point at missing rows")
        else:
            conn.execute(text("SELECT 1"))
        counts = {}
        if revision is not None:
            for table in TABLES:
                counts[table] = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
    if revision != SCHEMA_HEAD:
        problems.append(f"schema {revision or 'missing'} is not {SCHEMA_HEAD}; run `laop init`")
    return {
        "engine": engine.dialect.name,
        "revision": revision,
        "head": SCHEMA_HEAD,
        "integrity": "ok" if not problems else "problems",
        "problems": problems,
        "counts": counts,
        "ok": not problems,
    }
