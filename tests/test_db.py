"""The store: location, permissions, journal, schema versions."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from laop.db import SCHEMA_HEAD, SCHEMA_REVISIONS, check_schema, make_engine, upgrade
from laop.errors import SchemaError
from tests.conftest import scalar


def test_revisions_constant_matches_the_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import laop.db

    config = Config()
    config.set_main_option("script_location", str(Path(laop.db.__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(config)
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(chain) == SCHEMA_REVISIONS
    assert script.get_current_head() == SCHEMA_HEAD


def test_new_file_is_private_and_uses_wal(tmp_path):
    path = tmp_path / "sub" / "team.db"
    engine = make_engine(f"sqlite:///{path}")
    check_schema(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    for extra in path.parent.glob("team.db-*"):
        assert extra.stat().st_mode & 0o777 == 0o600
    engine.dispose()


def test_init_is_idempotent(cli):
    first = cli("init", "--json")
    second = cli("init", "--json")
    assert first.exit_code == second.exit_code == 0
    assert first.json()["from_revision"] is None
    assert second.json()["from_revision"] == SCHEMA_HEAD == second.json()["revision"]


def test_newer_schema_is_refused(cli, db_url):
    cli("init")
    scalar(db_url, "UPDATE alembic_version SET version_num = '9999'")
    out = cli("customer", "list")
    assert out.exit_code == 8
    assert "newer" in out.stderr and "upgrade laop" in out.stderr
    init = cli("init")
    assert init.exit_code == 8


def test_older_known_revision_message(monkeypatch, tmp_path):
    import laop.db

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    monkeypatch.setattr(laop.db, "SCHEMA_REVISIONS", (*SCHEMA_REVISIONS, "0099"))
    monkeypatch.setattr(laop.db, "SCHEMA_HEAD", "0099")
    with pytest.raises(SchemaError, match="run `laop init`"):
        laop.db.check_schema(engine)
    engine.dispose()


def test_foreign_database_is_refused(tmp_path, cli):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (id INTEGER)")
    from typer.testing import CliRunner

    from laop.cli import app

    result = CliRunner().invoke(app, ["--db", str(path), "customer", "list"])
    assert result.exit_code == 8
    assert "no laop schema" in result.stderr


def test_unwritable_location_is_one_sentence(tmp_path):
    from typer.testing import CliRunner

    from laop.cli import app

    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["--db", str(blocker / "laop.db"), "user", "list"])
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_failed_command_writes_nothing(cli, db_url):
    cli("customer", "add", "--company", "Keep Me", "--email", "keep@keep.com")
    out = cli("customer", "edit", "1", "--company", "Changed", "--phone", "12345")
    assert out.exit_code == 3
    assert cli("customer", "show", "1", "--json").json()["company"] == "Keep Me"


def test_python_dash_m_runs():
    result = subprocess.run(
        [sys.executable, "-m", "laop", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("laop ")


@pytest.mark.parametrize(
    ("stored", "instant"),
    [
        ("2026-10-05 10:00:00.123456", "2026-10-05T10:00:00.123456+00:00"),
        ("2026-10-05 10:00:00", "2026-10-05T10:00:00+00:00"),
        ("2026-10-05T10:00:00", "2026-10-05T10:00:00+00:00"),
        ("2026-10-05 18:00:00+08:00", "2026-10-05T10:00:00+00:00"),  # another tool's text
    ],
)
def test_instants_read_back_aware_in_utc(engine, stored, instant):
    # Every engine gives back the same aware UTC instant, whatever form SQLite holds.
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlmodel import Session, select

    from laop.models import User

    with Session(engine) as session:
        session.add(User(name="probe", created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        session.flush()
        if engine.dialect.name == "sqlite":
            session.execute(text("UPDATE user SET created_at = :v"), {"v": stored})
        else:
            value = datetime.fromisoformat(stored)
            session.execute(
                text('UPDATE "user" SET created_at = :v'),
                {"v": value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value},
            )
        got = session.exec(select(User.created_at)).one()
        assert got == datetime.fromisoformat(instant)
        assert got.tzinfo is not None and got.utcoffset().total_seconds() == 0
        session.rollback()


def test_the_migrations_build_exactly_the_tables_and_indexes_of_the_models(engine):
    # Every index and column the models declare is created by a migration, and no
    # migration leaves anything the models do not know.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from laop.models import load_all

    load_all()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


@pytest.mark.parametrize(
    "module",
    [
        "activity",
        "contact",
        "customer",
        "history",
        "inquiry",
        "message",
        "order",
        "reply_clock",
        "setting",
        "user",
    ],
)
def test_each_table_module_brings_the_tables_its_foreign_keys_name(module):
    # Tables load on first use; a table whose foreign key pointed at an unloaded one
    # would fail when its rows are flushed.
    script = (
        f"import laop.models.{module}\n"
        "from sqlmodel import SQLModel\n"
        "for table in SQLModel.metadata.tables.values():\n"
        "    for key in table.foreign_keys:\n"
        "        key.column\n"
        "print(len(SQLModel.metadata.tables))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 13  # only what it needs


def _due_list_in_a_process(tmp_path, report: str) -> str:
    """Run `laop due --all` through the console script in a fresh Python on a new
    database; ``report`` (Python, run after the command) prints one line to stderr."""
    script = (
        "import gc, sys\n"
        "from laop.cli import main\n"
        "sys.argv = ['laop', '--db', sys.argv[1], 'due', '--all']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"print({report}, file=sys.stderr)\n"
    )
    db = str(tmp_path / "due.db")
    subprocess.run([sys.executable, "-m", "laop", "--db", db, "init"], check=True)
    result = subprocess.run([sys.executable, "-c", script, db], capture_output=True, text=True)
    return result.stderr.strip().splitlines()[-1]


def test_the_due_list_loads_only_the_tables_it_reads(tmp_path):
    loaded = _due_list_in_a_process(
        tmp_path, "sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('laop.models.'))"
    )
    assert loaded == str(["base", "customer", "inquiry", "message", "setting", "user"])


def test_the_console_script_leaves_start_up_objects_to_the_exit(tmp_path):
    """One command per process: no collection during start-up, and what it built is
    frozen out of the collector's passes (and the interpreter's shutdown); the
    in-process app used by tests is left alone."""
    report = "code, gc.get_freeze_count(), gc.isenabled()"
    code, frozen, collecting = _due_list_in_a_process(tmp_path, report).split()
    assert code == "0"
    assert int(frozen) > 10_000  # the SQLAlchemy and pydantic machinery, at least
    assert collecting == "True"  # paused during start-up only


def test_the_in_process_app_does_not_freeze_the_collector(tmp_path):
    import gc

    from typer.testing import CliRunner

    from laop.cli import app

    gc.unfreeze()
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "t.db"), "due", "--all"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_bounded_reports_pause_the_collector_and_the_workbook_does_not(tmp_path, monkeypatch):
    import gc

    from typer.testing import CliRunner

    import laop.services.kpi as kpi_service
    import laop.services.workbook as workbook_service
    from laop.cli import app

    seen: dict[str, bool] = {}

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            seen[name] = gc.isenabled()
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(kpi_service, "monthly_kpis")
    spy(workbook_service, "write_workbook")
    db = ["--db", str(tmp_path / "kpi.db")]
    runner = CliRunner()
    assert gc.isenabled()
    result = runner.invoke(app, [*db, "kpi", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert seen == {"monthly_kpis": False}
    assert gc.isenabled()
    book = str(tmp_path / "k.xlsx")
    result = runner.invoke(app, [*db, "kpi", "--month", "2026-10", "--xlsx", book])
    assert result.exit_code == 0, result.output
    assert seen == {"monthly_kpis": False, "write_workbook": True}
    assert gc.isenabled()
