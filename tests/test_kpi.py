"""Orders, activity counts, targets, quotas and the monthly KPIs (DOMAIN §6–7)."""

from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)  # Tuesday 3 November, noon in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def ok(out):
    assert out.exit_code == 0, out.stderr
    return out


def inquiry(cli, company, owner, at, *extra):
    out = ok(
        cli(
            "--as",
            "mgr",
            "inquiry",
            "add",
            "--company",
            company,
            "--email",
            f"buyer@{company.lower().replace(' ', '')}.com",
            "--owner",
            owner,
            "--at",
            at,
            "--json",
            *extra,
        )
    )
    return str(out.json()["customer_id"])


def graded(cli, cid, grade, when):
    with time_machine.travel(when, tick=False):
        ok(cli("--as", "mgr", "grade", cid, grade))


def note(cli, cid, direction, at, channel="email"):
    ok(cli("--as", "mgr", "log", cid, "--direction", direction, "--channel", channel, "--at", at))


def test_month_scenario_computed_by_hand(cli):
    for name in ("ann", "bob", "cat"):
        ok(cli("user", "add", name))
    ok(cli("user", "add", "mgr", "--role", "manager"))
    ok(cli("--as", "mgr", "target", "set", "publish", "--month", "2026-10", "300"))
    ok(cli("--as", "mgr", "quota", "set", "rfq-bonus", "--month", "2026-10", "10"))

    # ann: A1 (D since September, one contact in October: compliant; first order in October)
    a1 = inquiry(
        cli,
        "Alpha One",
        "ann",
        "2026-09-20T10:00",
        "--channel",
        "inquiry",
        "--country",
        "US",
        "--nature",
        "importer",
    )
    graded(cli, a1, "D", datetime(2026, 9, 20, 3, 0, tzinfo=UTC))
    note(cli, a1, "out", "2026-09-20T12:00")
    note(cli, a1, "out", "2026-10-06T10:00")
    ok(
        cli(
            "--as",
            "mgr",
            "order",
            "add",
            a1,
            "--kind",
            "sample",
            "--amount",
            "85",
            "--currency",
            "USD",
            "--status",
            "delivered",
            "--at",
            "2026-10-05T10:00",
        )
    )
    # A2: B from 3 October, replied in 2 h, one follow-up in four judged weeks: not compliant
    a2 = inquiry(
        cli,
        "Alpha Two",
        "ann",
        "2026-10-03T09:00",
        "--channel",
        "inquiry",
        "--country",
        "US",
        "--nature",
        "importer",
    )
    note(cli, a2, "out", "2026-10-03T11:00")
    graded(cli, a2, "B", datetime(2026, 10, 3, 4, 0, tzinfo=UTC))
    note(cli, a2, "out", "2026-10-07T10:00")
    # A3: ungraded, answered after 26 h, its only order cancelled
    a3 = inquiry(
        cli,
        "Alpha Three",
        "ann",
        "2026-10-12T10:00",
        "--channel",
        "inquiry",
        "--country",
        "GB",
        "--nature",
        "retailer",
    )
    note(cli, a3, "out", "2026-10-13T12:00")
    order = ok(
        cli(
            "--as",
            "mgr",
            "order",
            "add",
            a3,
            "--kind",
            "regular",
            "--amount",
            "12000.50",
            "--currency",
            "EUR",
            "--at",
            "2026-10-20T10:00",
            "--json",
        )
    ).json()
    ok(cli("--as", "mgr", "order", "set-status", str(order["id"]), "cancelled"))

    # bob: B1 (C since August, both half months covered; ordered in September)
    b1 = inquiry(
        cli,
        "Bravo One",
        "bob",
        "2026-08-10T10:00",
        "--channel",
        "email",
        "--country",
        "DE",
        "--nature",
        "trader",
    )
    graded(cli, b1, "C", datetime(2026, 8, 10, 3, 0, tzinfo=UTC))
    note(cli, b1, "out", "2026-08-10T12:00")
    ok(
        cli(
            "--as",
            "mgr",
            "order",
            "add",
            b1,
            "--kind",
            "regular",
            "--amount",
            "5400",
            "--currency",
            "USD",
            "--status",
            "confirmed",
            "--at",
            "2026-09-01T10:00",
        )
    )
    note(cli, b1, "out", "2026-10-06T10:00")
    note(cli, b1, "out", "2026-10-20T10:00")
    # B2: TM at 09:00, answered 09:30; C from 15 October, no contact in the second half
    b2 = inquiry(
        cli,
        "Bravo Two",
        "bob",
        "2026-10-15T09:00",
        "--channel",
        "tm",
        "--country",
        "DE",
        "--nature",
        "trader",
    )
    note(cli, b2, "out", "2026-10-15T09:30", "tm")
    graded(cli, b2, "C", datetime(2026, 10, 15, 1, 40, tzinfo=UTC))
    ok(
        cli(
            "--as",
            "mgr",
            "order",
            "add",
            b2,
            "--kind",
            "sample",
            "--amount",
            "60",
            "--currency",
            "USD",
            "--at",
            "2026-11-02T10:00",
        )
    )

    # cat: one buyer acquired in November
    inquiry(cli, "Charlie One", "cat", "2026-11-01T10:00", "--channel", "inquiry")

    for user, kind, amount, day in [
        ("ann", "publish", "40", "2026-10-08"),
        ("ann", "publish", "70", "2026-10-20"),
        ("ann", "rfq", "5", "2026-10-09"),
        ("ann", "visitor", "20", "2026-10-09"),
        ("ann", "visitor", "25", "2026-10-10"),
        ("ann", "online", "7.5", "2026-10-09"),
        ("ann", "online", "8", "2026-10-12"),
        ("bob", "publish", "60", "2026-10-14"),
        ("bob", "rfq", "8", "2026-10-14"),
        ("bob", "online", "6", "2026-10-14"),
        ("cat", "rfq", "3", "2026-10-30"),
        ("cat", "publish", "9", "2026-11-02"),
    ]:
        out = ok(cli("--as", "mgr", "activity", "add", kind, amount, "--on", day, "--by", user))
        if amount == "25":
            assert "daily cap of 20" in out.stderr

    report = ok(cli("--as", "mgr", "kpi", "--month", "2026-10", "--json")).json()
    assert report["month"] == "2026-10"
    users = {row.pop("user"): row for row in report["users"]}
    assert users["ann"] == {
        "products_published": 110,
        "publish_target": 100.0,
        "rfq_quotes": 5,
        "rfq_quota": None,
        "visitor_marketing": 45,
        "timely_reply_rate": 0.5,
        "same_day_rate": 0.5,
        "avg_reply_hours": 14.0,
        "conversion_rate": 0.3333,
        "new_deal_customers": 1,
        "classification_rate": 0.5,
        "cadence_compliance": 0.5,
        "online_hours": 15.5,
    }
    assert users["bob"] == {
        "products_published": 60,
        "publish_target": 100.0,
        "rfq_quotes": 8,
        "rfq_quota": None,
        "visitor_marketing": 0,
        "timely_reply_rate": 1.0,
        "same_day_rate": 1.0,
        "avg_reply_hours": 0.5,
        "conversion_rate": 0.5,
        "new_deal_customers": 0,
        "classification_rate": 1.0,
        "cadence_compliance": 0.5,
        "online_hours": 6,
    }
    assert users["cat"] == {
        "products_published": 0,
        "publish_target": 100.0,
        "rfq_quotes": 3,
        "rfq_quota": None,
        "visitor_marketing": 0,
        "timely_reply_rate": None,
        "same_day_rate": None,
        "avg_reply_hours": None,
        "conversion_rate": None,
        "new_deal_customers": 0,
        "classification_rate": None,
        "cadence_compliance": None,
        "online_hours": 0,
    }
    assert users["mgr"]["publish_target"] is None
    assert report["team"] == {
        "products_published": 170,
        "publish_target": 300,
        "rfq_quotes": 16,
        "rfq_quota": 30,
        "visitor_marketing": 45,
        "timely_reply_rate": 0.6667,
        "same_day_rate": 0.6667,
        "avg_reply_hours": 9.5,
        "conversion_rate": 0.4,
        "new_deal_customers": 1,
        "classification_rate": 0.6667,
        "cadence_compliance": 0.5,
        "online_hours": 21.5,
    }
    one = ok(cli("--as", "mgr", "kpi", "--month", "2026-10", "--owner", "bob", "--json")).json()
    assert [row["user"] for row in one["users"]] == ["bob"]
    assert one["team"] == report["team"]
    table = ok(cli("--as", "mgr", "kpi", "--month", "2026-10")).stdout
    assert "Conversion rate 商机转换率" in table and "170/300" in table


def test_order_flow_and_bad_input(cli):
    cid = ok(cli("customer", "add", "--company", "Flow Co", "--json")).json()["id"]
    order = ok(
        cli(
            "order",
            "add",
            str(cid),
            "--kind",
            "sample",
            "--amount",
            "1,250.5",
            "--currency",
            "eur",
            "--etd",
            "2026-11-10",
            "--json",
        )
    ).json()
    assert (order["amount"], order["currency"], order["status"], order["etd"]) == (
        "1250.50",
        "EUR",
        "draft",
        "2026-11-10",
    )
    oid = str(order["id"])
    skip = cli("order", "set-status", oid, "shipped")
    assert skip.exit_code == 6 and "confirmed" in skip.stderr
    for step in ("confirmed", "in-production", "shipped"):
        ok(cli("order", "set-status", oid, step))
    shipped = ok(
        cli("order", "set-status", oid, "delivered", "--tracking", "DHL 123", "--json")
    ).json()
    assert (shipped["status"], shipped["tracking"]) == ("delivered", "DHL 123")
    closed = cli("order", "set-status", oid, "cancelled")
    assert closed.exit_code == 6 and "closed" in closed.stderr
    events = ok(cli("customer", "show", str(cid), "--json")).json()["events"]
    steps = [e["detail"]["to"] for e in events if e["kind"] == "order"]
    assert steps == ["delivered", "shipped", "in-production", "confirmed"]
    for args, named in [
        (["--kind", "gift", "--amount", "1", "--currency", "USD"], "gift"),
        (["--kind", "sample", "--amount", "-5", "--currency", "USD"], "-5"),
        (["--kind", "sample", "--amount", "abc", "--currency", "USD"], "abc"),
        (["--kind", "sample", "--amount", "1.23456", "--currency", "USD"], "1.23456"),
        (["--kind", "sample", "--amount", "10", "--currency", "XYZ"], "XYZ"),
        (["--kind", "sample", "--amount", "10", "--currency", "USD", "--status", "lost"], "lost"),
    ]:
        out = cli("order", "add", str(cid), *args)
        assert out.exit_code == 3, (args, out.stderr)
        assert named in out.stderr
    assert len(ok(cli("order", "list", "--all", "--json")).json()) == 1
    assert ok(cli("order", "list", "--open", "--all", "--json")).json() == []


def test_activity_and_targets_refuse_bad_input(cli):
    ok(cli("init"))
    for args, named in [
        (["activity", "add", "tweets", "3"], "tweets"),
        (["activity", "add", "publish", "2.5"], "2.5"),
        (["activity", "add", "online", "25"], "25"),
        (["activity", "add", "rfq", "3", "--on", "2026-12-24"], "future"),
        (["target", "set", "publish", "--month", "2026-13", "10"], "2026-13"),
        (["quota", "set", "rfq-bonus", "--month", "Oct", "10"], "Oct"),
        (["kpi", "--month", "10/2026"], "10/2026"),
        (["target", "set", "sales", "--month", "2026-10", "10"], "sales"),
    ]:
        out = cli(*args)
        assert out.exit_code == 3, (args, out.stderr)
        assert named in out.stderr
    assert ok(cli("quota", "--json")).json()["rfq"]["used"] == 0


def test_quota_status_counts_days_and_warns(cli):
    for name in ("ann", "bob"):
        ok(cli("user", "add", name))
    ok(cli("user", "add", "mgr", "--role", "manager"))
    ok(cli("--as", "mgr", "target", "set", "publish", "--month", "2026-11", "180"))
    ok(cli("--as", "mgr", "quota", "set", "rfq-bonus", "--month", "2026-11", "5"))
    ok(cli("--as", "mgr", "activity", "add", "rfq", "10", "--on", "2026-11-02", "--by", "ann"))
    ok(cli("--as", "mgr", "activity", "add", "publish", "4", "--on", "2026-11-03", "--by", "ann"))
    ok(cli("--as", "mgr", "activity", "add", "visitor", "12", "--on", "2026-11-02", "--by", "bob"))
    status = ok(cli("--as", "mgr", "quota", "--json")).json()
    assert status["date"] == "2026-11-03"
    assert status["platform_date"] == "2026-11-02"  # Los Angeles is still on the 2nd
    assert status["rfq"] == {
        "quota": 25,
        "used": 10,
        "left": 15,
        "days_to_15th": 12,
        "days_to_month_end": 27,
    }
    assert status["warnings"] == []
    # November 2026 in China: 21 working days; 180 over 2 people = 90 each.
    assert status["working_days"] == 21
    ann = next(u for u in status["users"] if u["user"] == "ann")
    bob = next(u for u in status["users"] if u["user"] == "bob")
    assert ann["publish"]["month"] == {"done": 4, "target": 90.0}
    assert ann["publish"]["day"] == {"done": 4, "target": round(90 / 21, 2)}
    assert ann["publish"]["week"]["target"] == round(round(90 / 21, 2) * 5, 2)
    assert (bob["visitor_sent_today"], bob["visitor_left_today"]) == (12, 8)
    late = ok(cli("--as", "mgr", "quota", "--date", "2026-11-13", "--json")).json()
    assert late["rfq"]["days_to_15th"] == 2
    assert late["warnings"] and "15 RFQ quotes left" in late["warnings"][0]
