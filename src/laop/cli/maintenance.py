"""`laop db`: backups and health checks."""

from pathlib import Path
from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import new_typer, state
from laop.output import console, emit_json, success

db_app = new_typer("Back up and check the database.")


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
    as_json: opt.Json = False,
) -> None:
    """Copy the database while others keep working (SQLite); print the pg_dump command (PostgreSQL).

    Example: laop db backup ~/backups/laop-$(date +%F).db
    """
    from laop.db import database_url, make_engine
    from laop.services.maintenance import backup, pg_dump_command

    url = database_url(state.db)
    if not url.startswith("sqlite"):
        command = pg_dump_command(url, path)
        emit_json({"command": command}) if as_json else console.print(command, markup=False)
        return
    engine = make_engine(url)
    try:
        result = backup(engine, path, overwrite=overwrite)
    finally:
        engine.dispose()
    if as_json:
        emit_json(result)
    else:
        success(f"Backed up to {result['backup']} ({result['bytes']:,} bytes).")


@db_app.command("check")
def db_check(as_json: opt.Json = False) -> None:
    """Check integrity and schema version; exit 7 when something is wrong.

    Example: laop db check --json
    """
    from laop.db import database_url, make_engine
    from laop.services.maintenance import check

    engine = make_engine(database_url(state.db))
    try:
        report = check(engine)
    finally:
        engine.dispose()
    if as_json:
        emit_json(report)
    else:
        console.print(
            f"{report['engine']} · schema {report['revision']} (head {report['head']}) · "
            + ", ".join(f"{n} {t}" for t, n in report["counts"].items()),
            markup=False,
        )
        for problem in report["problems"]:
            console.print(f"[error]✗[/error] {problem}")
        if report["ok"]:
            success("Database is healthy.")
    if not report["ok"]:
        raise typer.Exit(7)
