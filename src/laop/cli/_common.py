"""What every command shares: global options, the store, errors → exit codes."""

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer.core import TyperGroup

from laop.errors import DatabaseError, LaopError
from laop.output import error

if TYPE_CHECKING:
    from sqlmodel import Session

    from laop.models import User


@dataclass
class State:
    """Global options, set by the root callback."""

    db: str | None = None
    user: str | None = None
    # Set by the console script: this process runs one command and exits (tests
    # invoke the app many times in one process).
    one_shot: bool = False


state = State()


class LaopGroup(TyperGroup):
    """Turns LaopError (and database failures) into one stderr sentence and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LaopError as exc:
            error(exc.message)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _is_click_exception(exc) or os.environ.get("LAOP_DEBUG"):
                raise
            translated = _database_failure(exc) or LaopError(
                f"Internal error ({type(exc).__name__}: {exc}); "
                "run again with LAOP_DEBUG=1 to see where, and report it."
            )
            error(translated.message)
            raise typer.Exit(translated.exit_code) from None


def _is_click_exception(exc: Exception) -> bool:
    # Usage errors are shown by Typer itself (exit code 2).
    return type(exc).__module__.startswith(("typer", "click"))


def _database_failure(exc: Exception) -> LaopError | None:
    if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return DatabaseError(f"The database refused the operation: {detail}.")


def new_typer(help_text: str) -> typer.Typer:
    """A Typer app for one noun, with laop's error handling."""
    return typer.Typer(
        cls=LaopGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )


_engines: dict[str, Any] = {}


def engine() -> Any:
    """The engine for --db / LAOP_DB, schema checked (an empty database is created)."""
    from laop.db import check_schema, database_url, make_engine

    url = database_url(state.db)
    if url not in _engines:
        created = make_engine(url)
        check_schema(created)
        _engines[url] = created
        if state.one_shot:
            # What start-up built (modules, classes, the engine) lives as long as
            # the command: keep the collector from walking it on every full pass,
            # and let it collect what the command itself leaves behind.
            gc.freeze()
            gc.enable()
    return _engines[url]


@contextmanager
def store(*, write: bool = True, collect: bool = True) -> Iterator["Session"]:
    """One session, one transaction, for the whole command.

    ``collect=False``, for reports of bounded size (the due list, the digest, the
    KPIs), pauses garbage collection while the session is open: building tens of
    thousands of rows triggers passes that find nothing to free.
    """
    from laop.db import session_scope

    bound = engine()
    paused = not collect and gc.isenabled()
    if paused:
        gc.disable()
    try:
        with session_scope(bound, write=write) as session:
            yield session
    finally:
        if paused:
            gc.enable()


def actor(session: "Session") -> "User":
    """The acting user (--as / LAOP_USER, or the only user)."""
    from laop.services.users import acting_user

    return acting_user(session, state.user)


def visible_owner(session: "Session", *, owner: str | None, everyone: bool) -> "User | None":
    """Whose buyers a listing shows: --owner, --all (None), or by role.

    A salesperson sees their own buyers by default; a manager sees everyone's.
    """
    from laop.errors import InvalidInput
    from laop.services.users import get_user

    if owner and everyone:
        raise InvalidInput("Give either --owner or --all, not both.")
    if owner:
        return get_user(session, owner)
    if everyone:
        return None
    me = actor(session)
    return None if me.role == "manager" else me


def split_values(values: list[str] | None) -> list[str]:
    """Repeatable options may also carry several values in one (comma, semicolon)."""
    from laop.services.normalize import split_multi

    out: list[str] = []
    for value in values or []:
        out.extend(split_multi(value))
    return out


class LazyGroup(LaopGroup):
    """The root group: each command's module is imported only when that command runs.

    ``LAZY`` maps a command name to (module, attribute, one-line help); the help is
    listed by `laop --help` without importing anything (a test keeps it equal to the
    command's own help). Typer builds a sub-app's click command on first use.
    """

    LAZY: ClassVar[dict[str, tuple[str, str, str]]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self.LAZY]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.LAZY:
            return command
        import importlib

        module, attribute, _help = self.LAZY[cmd_name]
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            # A group even when it holds one command (`laop activity add`).
            command = typer.main.get_group(target)
        else:
            single = typer.Typer(add_completion=False, rich_markup_mode=None)
            single.command(cmd_name)(target)
            command = typer.main.get_command(single)
        command.name = cmd_name
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, cmd.get_short_help_str(70)) for name, cmd in self.commands.items()]
        rows += [
            (name, text) for name, (_m, _a, text) in self.LAZY.items() if name not in self.commands
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
