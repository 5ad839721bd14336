"""The hot queries use indexes: no full scan of a big table (EXPLAIN QUERY PLAN, SQLite)."""

import re
from datetime import date

import pytest
from sqlalchemy import event

from laop.db import make_engine, session_scope

BIG_TABLES = ("customer", "message", "reply_clock", "inquiry", "grade_change", "customer_order")


@pytest.fixture
def filled(tmp_path):
    from typer.testing import CliRunner

    from laop.cli import app

    path = tmp_path / "plans.db"
    result = CliRunner().invoke(
        app, ["demo", "--db", str(path), "--customers", "300", "--messages", "3000", "--users", "3"]
    )
    assert result.exit_code == 0, result.stderr
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def plans_of(engine, work):
    """Run ``work(session)`` and return the query plan of every query it sent."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_scope(engine, write=False) as session:
            work(session)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append((statement, [row[-1] for row in rows]))
    return plans


def full_scans(plans):
    bad = []
    for statement, lines in plans:
        for line in lines:
            match = re.match(r"SCAN (\w+)(.*)", line)
            if match and match.group(1) in BIG_TABLES and "INDEX" not in match.group(2):
                bad.append((line, statement[:200]))
    return bad


def test_due_and_awaiting_queries_use_indexes(filled):
    from laop.services.due import due_list, resolve_when
    from laop.services.reply_report import open_clocks
    from laop.services.users import get_user

    def work(session):
        owner = get_user(session, "sales01")
        assert due_list(session, resolve_when(session, "today"), owner=owner, limit=20).rows
        assert due_list(session, resolve_when(session, "today"), owner=None).rows  # digest
        open_clocks(session, owner=owner)

    plans = plans_of(filled, work)
    assert full_scans(plans) == []
    joined = " | ".join(line for _s, lines in plans for line in lines)
    assert "ix_customer_owner_due" in joined
    assert "ix_customer_owner_awaiting" in joined
    assert "ix_reply_clock_open" in joined
    # Each listed buyer's newest open inquiry, walked newest first in the index alone.
    assert "USING COVERING INDEX ix_inquiry_customer_newest (customer_id=?)" in joined


def test_kpi_queries_use_indexes(filled):
    from laop.services.kpi import monthly_kpis

    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    plans = plans_of(filled, lambda session: monthly_kpis(session, year=year, month=month))
    assert full_scans(plans) == []
    joined = " | ".join(line for _s, lines in plans for line in lines)
    assert "ix_message_direction_at" in joined  # outbound contacts per window
    assert "COVERING INDEX ix_reply_clock_opened_stats" in joined  # reply speed
    assert "COVERING INDEX ix_customer_grade_owner" in joined  # buyers judged for cadence
