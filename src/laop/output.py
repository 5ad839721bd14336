"""Output plumbing: the one JSON serializer, messages on stderr, the consoles.

Rich is loaded on first use, so that a script asking for --json never imports it.
Colour, prompts and progress bars appear only on a terminal; NO_COLOR is honoured.
The tables themselves live in laop.render.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = [
    "console",
    "emit_json",
    "err_console",
    "error",
    "interactive",
    "progress_bar",
    "success",
    "warn",
]

THEME_STYLES = {
    "ok": "green",
    "warn": "yellow",
    "error": "bold red",
    "muted": "dim",
    "id": "cyan",
    "grade.A": "bold green",
    "grade.B": "green",
    "grade.C": "yellow",
    "grade.D": "dim",
    "grade.none": "magenta",
    "awaiting": "bold red",
    "overdue": "red",
}


class _LazyConsole:
    """A Rich console created when first used."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Any = None

    def real(self) -> Any:
        """The Rich Console itself."""
        if self._console is None:
            from rich.console import Console
            from rich.theme import Theme

            self._console = Console(theme=Theme(THEME_STYLES), stderr=self._stderr, highlight=False)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


console: Any = _LazyConsole(stderr=False)
err_console: Any = _LazyConsole(stderr=True)


def interactive() -> bool:
    """True when a person sits at both ends: only then may laop prompt."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    """Write ``data`` as UTF-8 JSON on stdout: stable keys, ISO dates, no colour.

    Indented for a person at a terminal; compact when a script reads it. orjson
    encodes a team's digest (megabytes) several times faster than the json module.
    """
    import orjson

    options = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if sys.stdout.isatty() else 0)
    encoded = orjson.dumps(data, default=_default, option=options)
    sys.stdout.flush()
    sys.stdout.buffer.write(encoded + b"\n")
    sys.stdout.buffer.flush()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def error(message: str) -> None:
    """One line on stderr."""
    err_console.print(f"[error]laop:[/error] {_escape(message)}", soft_wrap=True)


def success(message: str) -> None:
    """A short confirmation for people (stderr, so stdout stays clean for pipes)."""
    err_console.print(f"[ok]✓[/ok] {_escape(message)}", soft_wrap=True)


def warn(message: str) -> None:
    """A warning on stderr; the command still succeeds."""
    err_console.print(f"[warn]![/warn] {_escape(message)}", soft_wrap=True)


@contextmanager
def progress_bar(label: str, *, total: int) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on a terminal; silent otherwise. Yields ``advance_to(done)``."""
    if not sys.stderr.isatty():
        yield lambda _done: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        f"[bold]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console.real(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)
