"""Team mode: both engines, concurrent writers, crashes, migrations, backups."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

import laop.db
from laop.db import SCHEMA_REVISIONS, make_engine, session_scope
from tests.conftest import scalar


def laop_process(db_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "laop", "--db", db_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_twenty_processes_log_at_once(cli, db_url):
    cli("customer", "add", "--company", "Busy Buyer", "--email", "busy@buyer.com")
    cli("grade", "1", "A")
    processes = [
        laop_process(
            db_url,
            "log",
            "1",
            "--direction",
            "out" if n % 2 else "in",
            "--channel",
            "email",
            "--note",
            f"writer {n}",
        )
        for n in range(20)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert [code for code, _ in results] == [0] * 20, results
    assert not any("locked" in err for _, err in results)
    assert scalar(db_url, "SELECT count(*) FROM message") == 20
    notes = scalar(db_url, "SELECT count(DISTINCT note) FROM message")
    assert notes == 20
    # The derived state agrees with the whole log, whatever order the writers ran in.
    shown = cli("customer", "show", "1", "--json").json()
    unanswered = scalar(
        db_url,
        "SELECT count(*) FROM message WHERE direction = 'in' AND at > "
        "(SELECT max(at) FROM message WHERE direction = 'out')",
    )
    assert (shown["awaiting_since"] is not None) == (unanswered > 0)


def test_reads_see_one_snapshot_while_others_write(cli, db_url):
    from sqlmodel import func, select

    from laop.models import Customer

    cli("customer", "add", "--company", "First Buyer")
    engine = make_engine(db_url)
    try:
        with session_scope(engine, write=False) as session:
            before = session.exec(select(func.count()).select_from(Customer)).one()
            writer = laop_process(db_url, "customer", "add", "--company", "Second Buyer", "--new")
            assert writer.wait(timeout=60) == 0, writer.stderr.read()
            writer.stdout.close()
            writer.stderr.close()
            during = session.exec(select(func.count()).select_from(Customer)).one()
        assert before == during == 1
        assert scalar(db_url, "SELECT count(*) FROM customer") == 2
    finally:
        engine.dispose()


def test_sigkill_during_a_long_write_leaves_nothing_half_written(cli, db_url):
    cli("init")
    writer = laop_process(db_url, "demo", "--customers", "30000", "--messages", "300000")
    time.sleep(4)
    assert writer.poll() is None, "the write finished before it could be interrupted"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    writer.stderr.close()
    assert scalar(db_url, "SELECT count(*) FROM customer") == 0
    assert scalar(db_url, "SELECT count(*) FROM message") == 0
    checked = cli("db", "check", "--json")
    assert checked.exit_code == 0, checked.stdout
    assert checked.json()["ok"] is True
    if db_url.startswith("sqlite"):
        assert scalar(db_url, "PRAGMA integrity_check") == "ok"
    assert cli("customer", "add", "--company", "After The Crash", "--json").exit_code == 0


def test_upgrade_from_the_first_revision_keeps_every_row(db_url):
    engine = make_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(Path(laop.db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, SCHEMA_REVISIONS[0])
    engine.dispose()
    scalar(
        db_url,
        'INSERT INTO "user" (id, name, role, created_at) '
        "VALUES (1, 'lily', 'sales', '2026-01-05 08:00:00')",
    )
    scalar(
        db_url,
        "INSERT INTO customer (id, company, owner_id, company_key, contact_key, "
        "acquired_at, created_at, updated_at, grade) VALUES (1, 'Old Buyer', 1, "
        "'old buyer', '', '2026-01-05 08:00:00', '2026-01-05 08:00:00', "
        "'2026-01-05 08:00:00', 'B')",
    )
    scalar(
        db_url,
        "INSERT INTO message (id, customer_id, channel, direction, kind, auto, "
        "user_id, at, created_at) VALUES (1, 1, 'email', 'out', 'quote', false, 1, "
        "'2026-01-05 09:00:00', '2026-01-05 09:00:00')",
    )
    engine = make_engine(db_url)
    laop.db.upgrade(engine)
    engine.dispose()
    assert scalar(db_url, "SELECT version_num FROM alembic_version") == SCHEMA_REVISIONS[-1]
    assert scalar(db_url, "SELECT company FROM customer WHERE id = 1") == "Old Buyer"
    assert scalar(db_url, "SELECT count(*) FROM message") == 1
    assert scalar(db_url, 'SELECT name FROM "user" WHERE id = 1') == "lily"


def test_backup_while_another_process_writes(cli, db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        out = cli("db", "backup", str(tmp_path / "team.dump"), "--json")
        assert out.exit_code == 0
        assert out.json()["command"].startswith("pg_dump --format=custom --file=")
        assert "postgresql://postgres@127.0.0.1" in out.json()["command"]
        return
    cli("customer", "add", "--company", "Kept Buyer")
    writer = laop_process(db_url, "demo", "--customers", "3000", "--messages", "20000")
    target = tmp_path / "backup.db"
    out = cli("db", "backup", str(target), "--json")
    writer.wait(timeout=120)
    writer.stdout.close()
    writer.stderr.close()
    assert out.exit_code == 0, out.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    backup_url = f"sqlite:///{target}"
    assert scalar(backup_url, "PRAGMA integrity_check") == "ok"
    assert scalar(backup_url, "SELECT company FROM customer WHERE id = 1") == "Kept Buyer"
    again = cli("db", "backup", str(target))
    assert again.exit_code == 6 and "--overwrite" in again.stderr


@pytest.mark.parametrize("suffix", ["-wal", "-shm"])
def test_sqlite_side_files_are_private(tmp_path, suffix):
    path = tmp_path / "private.db"
    engine = make_engine(f"sqlite:///{path}")
    laop.db.check_schema(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM customer").scalar()
        side = Path(f"{path}{suffix}")
        assert side.exists()
        assert side.stat().st_mode & 0o777 == 0o600
    engine.dispose()
