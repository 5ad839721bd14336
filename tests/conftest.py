"""Fixtures: every test gets a fresh home, a fresh SQLite file, and a CLI runner."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from laop.cli import app
from laop.cli._common import _engines


@pytest.fixture(autouse=True)
def env_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Isolate every test from the real user data folder and environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("LAOP_DB", raising=False)
    monkeypatch.delenv("LAOP_USER", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A database URL of its own for each test: a real SQLite file."""
    yield f"sqlite:///{tmp_path / 'laop.db'}"
    engine = _engines.pop(f"sqlite:///{tmp_path / 'laop.db'}", None)
    if engine is not None:
        engine.dispose()


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.stdout)


@pytest.fixture
def cli(db_url: str) -> Callable[..., Outcome]:
    """Run `laop --db URL ARGS…` in-process; returns exit code, stdout and stderr."""
    runner = CliRunner()

    def run(*args: str, user: str | None = None, input: str | None = None) -> Outcome:
        prefix = ["--db", db_url] + (["--as", user] if user else [])
        result = runner.invoke(app, [*prefix, *args], input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    """An engine on the test database, schema at head."""
    from laop.db import check_schema, make_engine

    created = make_engine(db_url)
    check_schema(created)
    yield created
    created.dispose()


@pytest.fixture
def session(engine):  # type: ignore[no-untyped-def]
    """A session for service tests; committed at the end of the test."""
    from laop.db import session_scope

    with session_scope(engine) as s:
        yield s
