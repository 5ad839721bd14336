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


def _month(day, offset):
    index = day.year * 12 + day.month - 1 + offset
    return index // 12, index % 12 + 1


def test_demo_orders_activity_and_kpis(tmp_path):
    """Orders, activity counts and targets load, and the month's KPIs have figures."""
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    import holidays
    from sqlmodel import Session, create_engine, select

    from laop.models import ActivityCount, User
    from laop.services.activity import month_days
    from laop.services.demo import demo_dataset

    path = tmp_path / "demo.db"
    assert CliRunner().invoke(app, ["demo", "--db", str(path)]).exit_code == 0
    dataset = demo_dataset()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    listed = CliRunner().invoke(app, ["--db", str(path), "order", "list", "--all", "--json"])
    assert listed.exit_code == 0, listed.stderr
    orders = json.loads(listed.stdout)
    assert len(orders) == sum(len(c.get("orders", [])) for c in dataset["customers"])
    assert {"cancelled", "shipped", "delivered", "in-production"} <= {o["status"] for o in orders}
    soon = [
        o
        for o in orders
        if o["status"] in {"confirmed", "in-production"}
        and o["etd"]
        and today < date.fromisoformat(o["etd"]) <= today + timedelta(days=7)
    ]
    assert len(soon) >= 2
    assert all(o["ordered_at"][:10] <= today.isoformat() for o in orders)

    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        rows = [
            (name, a.kind, a.day, a.amount)
            for a, name in session.exec(
                select(ActivityCount, User.name).join(User, User.id == ActivityCount.user_id)
            )
        ]
    engine.dispose()
    sales = {u["name"] for u in dataset["users"] if u["role"] == "sales"}
    assert {name for name, *_ in rows} == sales
    first = date(*_month(today, -1), 1)
    assert all(first <= day <= today for _, _, day, _ in rows)
    visitor = [amount for _, kind, _, amount in rows if kind == "visitor"]
    assert max(visitor) > 20 and sum(amount > 20 for amount in visitor) == 1
    assert all(6 <= amount <= 9 for _, kind, _, amount in rows if kind == "online")

    def kpis(year, month):
        result = CliRunner().invoke(
            app, ["--db", str(path), "kpi", "--month", f"{year:04d}-{month:02d}", "--json"]
        )
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["team"]

    last = kpis(*_month(today, -1))
    assert last["publish_target"] == 280
    assert last["products_published"] > 0
    assert 0.8 * last["rfq_quota"] <= last["rfq_quotes"] < last["rfq_quota"]
    assert last["online_hours"] > 0
    assert last["conversion_rate"] is not None and last["conversion_rate"] > 0

    current = CliRunner().invoke(app, ["--db", str(path), "kpi", "--json"])
    assert current.exit_code == 0, current.stderr
    team = json.loads(current.stdout)["team"]
    assert team["publish_target"] == 300
    assert team["rfq_quota"] == 30  # rfq.base 20 + this month's bonus 10
    assert team["conversion_rate"] is not None and team["conversion_rate"] > 0
    calendar = holidays.country_holidays("CN", years=today.year)
    if any(calendar.is_working_day(d) for d in month_days(today.year, today.month) if d <= today):
        assert team["products_published"] > 0
        assert 0 < team["rfq_quotes"] < team["rfq_quota"]


def test_synthetic_team_then_normal_work(cli):
    out = cli("demo", "--customers", "60", "--messages", "400", "--users", "2")
    assert out.exit_code == 0, out.stderr
    assert "Synthetic database ready: 3 users, 60 buyers" in out.stdout
    # Explicit ids in the bulk load must not collide with the next ones.
    added = cli("--as", "manager", "customer", "add", "--company", "After Synthetic", "--json")
    assert added.exit_code == 0, added.stderr
    assert added.json()["id"] == 61
    logged = cli("--as", "manager", "log", "61", "--direction", "in", "--channel", "tm", "--json")
    assert logged.exit_code == 0, logged.stderr
    due = cli("--as", "manager", "due", "--all", "--json").json()
    assert any(row["customer_id"] == 61 and row["awaiting_reply"] for row in due)
    again = cli("demo", "--customers", "10")
    assert again.exit_code == 6 and "empty database" in again.stderr
