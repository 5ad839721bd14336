"""The console script's early read of `laop kpi`'s compliance statement (laop.prefetch).

The report must come out the same with or without the early read, and the early rows
must be used only when they are exactly what the command would read itself.
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, delete
from typer.testing import CliRunner

from laop import prefetch
from laop.cli import app
from laop.db import check_schema, make_engine, session_scope
from laop.models import Message
from laop.services.compliance import compliance_by_owner
from tests.test_compliance import build


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A SQLite file with random October histories, named by LAOP_DB."""
    path = tmp_path / "team.db"
    engine = make_engine(f"sqlite:///{path}")
    check_schema(engine)
    with Session(engine) as session:
        build(session, random.Random(11))
    monkeypatch.setenv("LAOP_DB", str(path))
    yield path, engine
    prefetch.discard()  # nothing left running between tests
    engine.dispose()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each call of prefetch.take handed over early rows."""
    given: list[bool] = []
    original = prefetch.take

    def recording(connection, statement):  # type: ignore[no-untyped-def]
        rows = original(connection, statement)
        given.append(rows is not None)
        return rows

    monkeypatch.setattr(prefetch, "take", recording)
    return given


def october(engine) -> tuple:  # type: ignore[no-untyped-def]
    with session_scope(engine, write=False) as session:
        return compliance_by_owner(session, year=2026, month=10)


def finish_early_read() -> None:
    """Let the early read hand its rows over, as when the command asks, and end."""
    pending = prefetch._pending
    assert pending is not None and pending.thread is not None
    pending.asked.set()
    pending.thread.join()


def test_the_early_read_gives_the_report_the_command_would_read(store, answers):
    _path, engine = store
    expected = october(engine)
    assert expected[1]["assessed"] > 20 and expected[1]["compliant"] > 0
    prefetch.start(["kpi", "--month", "2026-10", "--json"])
    assert october(engine) == expected
    # Each report reads the month's tally, then the grade histories of the buyers walked.
    assert answers == [False, False, True, True]


def test_a_commit_between_the_two_reads_is_read_again(store, answers):
    _path, engine = store
    before = october(engine)
    prefetch.start(["--as", "ann", "kpi", "--month=2026-10"])
    finish_early_read()
    with session_scope(engine) as session:
        session.exec(delete(Message))  # type: ignore[call-overload]
    after = october(engine)
    assert answers == [False] * 4
    assert after[1]["compliant"] == 0 < before[1]["compliant"]
    assert after[1]["assessed"] == before[1]["assessed"]


def test_every_statement_taken_is_checked_for_commits(store):
    _path, engine = store
    prefetch.start(["kpi", "--month", "2026-10"])
    finish_early_read()
    assert prefetch._pending is not None
    first, second = prefetch._pending.results
    with session_scope(engine, write=False) as session:
        connection = session.connection()
        assert prefetch.take(connection, first) is not None
        with session_scope(engine) as writer:  # another connection commits meanwhile
            writer.exec(delete(Message))  # type: ignore[call-overload]
        assert prefetch.take(connection, second) is None
    assert prefetch._pending is None


def test_another_month_or_another_file_is_not_used(store, answers, tmp_path):
    path, engine = store
    expected = october(engine)
    prefetch.start(["kpi", "--month", "2026-09"])
    assert october(engine) == expected
    other = tmp_path / "other.db"
    other.write_bytes(path.read_bytes())
    prefetch.start(["--db", str(other), "kpi", "--month", "2026-10"])
    assert october(engine) == expected
    assert answers == [False] * 6


@pytest.mark.parametrize(
    "args",
    [
        ["due", "today"],
        ["kpi", "--help"],
        ["--version"],
        ["--db", "postgresql://laop@localhost/team", "kpi"],
        ["--db", "missing.db", "kpi"],
        ["--unknown", "kpi"],
        ["--db"],
    ],
)
def test_other_command_lines_start_nothing(store, args):
    prefetch.start(args)
    assert prefetch._pending is None


def test_an_early_read_that_fails_leaves_the_command_to_read(tmp_path, monkeypatch, answers):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")  # no tables yet: the early read fails
    monkeypatch.setenv("LAOP_DB", str(path))
    prefetch.start(["kpi", "--month", "2026-10"])
    finish_early_read()
    engine = make_engine(f"sqlite:///{path}")
    check_schema(engine)
    try:
        assert october(engine)[1] == {
            "assessed": 0,
            "compliant": 0,
            "rate": None,
            "by_grade": {
                g: {"assessed": 0, "compliant": 0, "rate": None} for g in ("A", "B", "C", "D")
            },
        }
    finally:
        engine.dispose()
    assert answers == [False]


def console(args: list[str], path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m laop ARGS` on ``path``, as cron or a shell would run it."""
    env = {**os.environ, "LAOP_DB": str(path), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "laop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_console_script_reports_what_the_in_process_app_reports(store):
    path, _engine = store
    shell = console(["kpi", "--month", "2026-10", "--json"], path)
    assert shell.returncode == 0, shell.stderr
    inside = CliRunner().invoke(app, ["--db", str(path), "kpi", "--month", "2026-10", "--json"])
    assert inside.exit_code == 0
    assert json.loads(shell.stdout) == json.loads(inside.stdout)
    assert json.loads(shell.stdout)["team"]["cadence_compliance"] is not None


def test_a_command_that_fails_before_using_the_early_read_still_ends_cleanly(store):
    path, _engine = store
    failed = console(["kpi", "--month", "2026-10", "--owner", "nobody"], path)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A synthetic team (three salespeople and a manager) with buyers due today."""
    path = tmp_path / "team.db"
    made = CliRunner().invoke(
        app, ["demo", "--db", str(path), "--customers", "400", "--messages", "4000", "--users", "3"]
    )
    assert made.exit_code == 0, made.stderr
    monkeypatch.setenv("LAOP_DB", str(path))
    engine = make_engine(f"sqlite:///{path}")
    yield path, engine
    prefetch.discard()
    engine.dispose()


def due_section(engine, user: str | None, **options) -> list[dict]:  # type: ignore[no-untyped-def]
    """The digest's sections read early: its open reply clocks and its due list."""
    from datetime import UTC, datetime

    from laop.services.digest import build_digest
    from laop.services.users import get_user

    with session_scope(engine, write=False) as session:
        owner = get_user(session, user) if user else None
        now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # hours left, the same each time
        digest = build_digest(session, user=owner, now=now, **options)
        return [digest["awaiting_reply"], digest["due"]]


@pytest.mark.parametrize(
    ("args", "owner"),
    [
        (["digest", "--all", "--format", "json"], None),
        (["--as", "manager", "digest"], None),  # a manager's digest is the team's
        (["--as", "sales02", "digest", "--format=markdown"], "sales02"),
        (["digest", "--owner", "sales01", "--mail-to", "boss@example.com"], "sales01"),
    ],
)
def test_the_digest_reads_its_clocks_and_due_list_early(team, answers, args, owner):
    _path, engine = team
    expected = due_section(engine, owner)
    assert len(expected[0]) > 5 and len(expected[1]) > 5
    prefetch.start(args)
    assert due_section(engine, owner) == expected
    assert answers == [False, False, True, True]


def test_the_digest_of_another_day_or_by_mail_is_read_as_usual(team, answers):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from laop.services.clock import today

    _path, engine = team
    tomorrow = today(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)  # the business day
    prefetch.start(["digest", "--all", "--date", tomorrow.isoformat()])
    assert due_section(engine, None, on=tomorrow) == due_section(engine, None, on=tomorrow)
    prefetch.start(["digest", "--all", "--date", tomorrow.isoformat()])
    assert due_section(engine, None) == due_section(engine, None)  # today: not what was read
    prefetch.start(["digest", "--mail"])
    assert due_section(engine, "sales01") == due_section(engine, "sales01")
    # Open reply clocks are the same on any day; the due list is read again.
    assert answers == [
        True,
        True,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
    ]


def test_a_path_that_cannot_be_resolved_starts_nothing(tmp_path):
    (tmp_path / "one.db").symlink_to(tmp_path / "two.db")
    (tmp_path / "two.db").symlink_to(tmp_path / "one.db")  # a loop: no file at its end
    prefetch.start(["--db", str(tmp_path / "one.db"), "kpi"])
    assert prefetch._pending is None
