"""`laop demo`: builds the demo team and shows the morning list."""

import json

from typer.testing import CliRunner

from laop.cli import app


def test_demo_builds_and_tours(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["demo", "--db", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "Demo database ready: 4 users, 40 buyers" in result.stdout
    assert "Awaiting our reply" in result.stdout
    assert "Follow up" in result.stdout
    assert "Possible matches" in result.stdout
    due = CliRunner().invoke(app, ["--db", str(path), "due", "--all", "--json"])
    rows = json.loads(due.stdout)
    assert any(r["awaiting_reply"] for r in rows)
    assert any(r["days_overdue"] > 0 for r in rows if not r["awaiting_reply"])
    assert any(r["needs_grade"] for r in rows)


def test_demo_refuses_a_database_with_customers(tmp_path):
    path = tmp_path / "demo.db"
    CliRunner().invoke(app, ["--db", str(path), "customer", "add", "--company", "Real Buyer"])
    result = CliRunner().invoke(app, ["demo", "--db", str(path)])
    assert result.exit_code == 6
    assert "empty database" in result.stderr
    listed = CliRunner().invoke(app, ["--db", str(path), "customer", "list", "--all", "--json"])
    assert [c["company"] for c in json.loads(listed.stdout)] == ["Real Buyer"]
