"""Fixtures: every test gets a fresh home, a fresh SQLite file, and a CLI runner."""

import itertools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from laop.cli import app
from laop.cli._common import _engines
from tests.pgserver import PostgresServer, find_bindir


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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer | None]:
    """One PostgreSQL server for the whole run, when the binaries are installed.

    LAOP_TEST_PG=required (set by .ci/run) turns a missing server into a failure.
    """
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("LAOP_TEST_PG") == "required":
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are required but not installed.")
        yield None
        return
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


_database_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for each test, on each engine laop supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'laop.db'}"
        yield url
        _dispose(url)
        return
    server = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL is not installed here (.ci/run installs it)")
    name = f"laop_test_{os.getpid()}_{next(_database_counter)}"
    url = server.create_database(name)
    yield url
    _dispose(url)
    server.drop_database(name)


def _dispose(url: str) -> None:
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def scalar(db_url: str, statement: str):  # type: ignore[no-untyped-def]
    """Run one SQL statement on the test database, outside laop; return its first value."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
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
