"""Grades, due dates and "awaiting our reply" (DOMAIN §4), business zone Asia/Shanghai."""

from datetime import UTC, datetime

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# 2026-10-06 22:00 in Shanghai: every --at below lies in the past.
NOW = datetime(2026, 10, 6, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def due_ids(cli, when="today", *extra):
    out = cli("due", when, "--all", "--json", *extra)
    assert out.exit_code == 0, out.stderr
    return out.json()


def buyer(cli, company="Acme GmbH", email="hans@acme.de"):
    out = cli("customer", "add", "--company", company, "--email", email, "--json")
    assert out.exit_code == 0, out.stderr
    return str(out.json()["id"])


def test_acceptance_sequence(cli):
    cid = buyer(cli)
    assert cli("grade", cid, "A").exit_code == 0
    cli("log", cid, "--direction", "out", "--channel", "email", "--at", "2026-10-05T10:00")
    rows = due_ids(cli, "2026-10-08")
    assert [(r["customer_id"], r["due_on"]) for r in rows] == [(1, "2026-10-08")]
    assert due_ids(cli, "2026-10-07") == []

    cli("log", cid, "--direction", "in", "--channel", "tm", "--at", "2026-10-06T09:00")
    rows = due_ids(cli, "2026-10-06")
    assert rows[0]["customer_id"] == 1
    assert rows[0]["awaiting_reply"] is True
    assert rows[0]["due_on"] is None
    assert rows[0]["suggested_channel"] == "tm"

    cli(
        "log",
        cid,
        "--direction",
        "out",
        "--channel",
        "tm",
        "--kind",
        "reply",
        "--at",
        "2026-10-06T09:20",
    )
    assert due_ids(cli, "2026-10-08") == []
    rows = due_ids(cli, "2026-10-09")
    assert [(r["due_on"], r["awaiting_reply"]) for r in rows] == [("2026-10-09", False)]
    assert rows[0]["suggested_channel"] == "phone"  # A buyers get a call

    cli("grade", cid, "C", "--reason", "long project")
    assert due_ids(cli, "2026-10-20") == []
    assert due_ids(cli, "2026-10-21")[0]["due_on"] == "2026-10-21"

    history = cli("customer", "show", cid, "--json").json()["grade_history"]
    assert [(h["from"], h["to"], h["reason"]) for h in history] == [
        ("A", "C", "long project"),
        (None, "A", None),
    ]


def test_cadence_setting_changes_the_listing_at_once(cli):
    cid = buyer(cli)
    cli("grade", cid, "A")
    cli("log", cid, "--direction", "out", "--channel", "email", "--at", "2026-10-05T10:00")
    assert due_ids(cli, "2026-10-07") == []
    assert cli("config", "set", "cadence.A", "2").exit_code == 0
    assert [r["due_on"] for r in due_ids(cli, "2026-10-07")] == ["2026-10-07"]
    assert cli("config", "get", "cadence.A").stdout.strip() == "2"


def test_automatic_messages_neither_reply_nor_follow_up(cli):
    cid = buyer(cli)
    cli("grade", cid, "B")
    cli("log", cid, "--direction", "out", "--channel", "email", "--at", "2026-10-01T10:00")
    cli("log", cid, "--direction", "in", "--channel", "inquiry", "--at", "2026-10-02T10:00")
    cli(
        "log",
        cid,
        "--direction",
        "out",
        "--channel",
        "inquiry",
        "--auto",
        "--at",
        "2026-10-02T10:01",
    )
    row = due_ids(cli, "today")[0]
    assert row["awaiting_reply"] is True
    assert row["suggested_channel"] == "inquiry"


@pytest.mark.parametrize(
    ("at", "due"),
    [
        ("2026-10-05T23:59:59+08:00", "2026-10-08"),  # last second of the 5th in Shanghai
        ("2026-10-05T16:00:00Z", "2026-10-09"),  # midnight of the 6th in Shanghai
        ("2026-10-05T15:59:59Z", "2026-10-08"),
        ("2026-10-06T00:30", "2026-10-09"),  # no offset: business time
    ],
)
def test_midnight_boundaries_in_business_time_zone(cli, at, due):
    cid = buyer(cli)
    cli("grade", cid, "A")
    cli("log", cid, "--direction", "out", "--channel", "email", "--at", at)
    assert cli("customer", "show", cid, "--json").json()["due_on"] == due


def test_backfilled_messages_give_the_same_state(cli):
    cid = buyer(cli)
    cli("grade", cid, "B")
    cli("log", cid, "--direction", "out", "--channel", "email", "--at", "2026-10-05T10:00")
    cli("log", cid, "--direction", "in", "--channel", "email", "--at", "2026-09-20T10:00")
    cli("log", cid, "--direction", "out", "--channel", "phone", "--at", "2026-09-21T10:00")
    shown = cli("customer", "show", cid, "--json").json()
    assert shown["due_on"] == "2026-10-12"
    assert shown["awaiting_since"] is None
    assert shown["last_out_at"] == "2026-10-05T10:00:00+08:00"
    # A late-logged inbound message after our last one makes the buyer wait for us.
    cli("log", cid, "--direction", "in", "--channel", "fax", "--at", "2026-10-05T11:00")
    row = due_ids(cli)[0]
    assert row["awaiting_reply"] is True
    assert row["awaiting_since"] == "2026-10-05T11:00:00+08:00"
    assert row["suggested_channel"] == "fax"
    assert row["days_overdue"] == 1


def test_ungraded_buyer_with_inquiry_is_due_the_day_it_arrived(cli):
    cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "New Buyer",
        "--email",
        "x@newbuyer.com",
        "--product",
        "LED bulb",
        "--at",
        "2026-10-04T10:00",
    )
    rows = due_ids(cli)
    assert rows[0]["awaiting_reply"] is True and rows[0]["needs_grade"] is True
    cli(
        "log",
        "1",
        "--direction",
        "out",
        "--channel",
        "inquiry",
        "--kind",
        "reply",
        "--at",
        "2026-10-04T11:00",
    )
    rows = due_ids(cli)
    assert rows[0]["due_on"] == "2026-10-04"
    assert rows[0]["days_overdue"] == 2
    assert rows[0]["needs_grade"] is True
    assert rows[0]["open_inquiry_product"] == "LED bulb"


def test_order_awaiting_first_then_urgency(cli):
    ids = {
        name: buyer(cli, name, f"x@{name.lower()}.com")
        for name in ("Alpha", "Bravo", "Charlie", "Delta")
    }
    cli("grade", ids["Alpha"], "A")
    cli("grade", ids["Bravo"], "B")
    cli("grade", ids["Charlie"], "C")
    cli("grade", ids["Delta"], "D")
    cli(
        "log", ids["Alpha"], "--direction", "out", "--channel", "email", "--at", "2026-10-02T10:00"
    )  # due 10-05, 1 day late
    cli(
        "log", ids["Bravo"], "--direction", "out", "--channel", "email", "--at", "2026-09-29T10:00"
    )  # due 10-06, today
    cli(
        "log",
        ids["Charlie"],
        "--direction",
        "out",
        "--channel",
        "email",
        "--at",
        "2026-09-19T10:00",
    )  # due 10-04, 2 late
    cli("log", ids["Delta"], "--direction", "in", "--channel", "email", "--at", "2026-10-06T08:00")
    rows = due_ids(cli)
    assert [r["company"] for r in rows] == ["Delta", "Alpha", "Charlie", "Bravo"]
    assert [r["urgency"] for r in rows] == [0, 8, 6, 3]
    assert [r["company"] for r in due_ids(cli, "overdue")] == ["Delta", "Alpha", "Charlie"]
    assert [r["company"] for r in due_ids(cli, "today", "--grade", "C")] == ["Charlie"]


def test_due_json_keys_are_stable(cli):
    cid = buyer(cli)
    cli("grade", cid, "A")
    row = due_ids(cli)[0]
    assert {
        "customer_id",
        "company",
        "grade",
        "owner",
        "due_on",
        "days_overdue",
        "awaiting_reply",
        "last_contact_at",
        "suggested_channel",
    } <= set(row)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["grade", "1", "E"], "E"),
        (["log", "1", "--direction", "sideways", "--channel", "email"], "sideways"),
        (["log", "1", "--direction", "out", "--channel", "telegraph"], "telegraph"),
        (
            ["log", "1", "--direction", "out", "--channel", "email", "--at", "2026-10-09T10:00"],
            "future",
        ),
        (["log", "99", "--direction", "out", "--channel", "email"], "99"),
        (["due", "someday"], "someday"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(cli, args, fragment):
    buyer(cli)
    before = cli("customer", "show", "1", "--json").json()
    out = cli(*args)
    assert out.exit_code != 0
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr
    assert cli("customer", "show", "1", "--json").json() == before


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(5)))
def test_any_logging_order_gives_the_same_state(engine, order):
    from laop.db import session_scope
    from laop.services.customers import CustomerInput, add_customer
    from laop.services.messages import log_message
    from laop.services.users import acting_user

    log = [
        ("out", "email", "2026-09-01T10:00:00+00:00"),
        ("in", "tm", "2026-09-03T10:00:00+00:00"),
        ("out", "tm", "2026-09-03T10:05:00+00:00"),
        ("in", "email", "2026-09-10T02:00:00+00:00"),
        ("in", "fax", "2026-09-10T03:00:00+00:00"),
    ]
    with session_scope(engine) as session:
        me = acting_user(session, None)
        customer = add_customer(
            session, data=CustomerInput(company=f"Perm {order}").cleaned(), owner=me
        )
        customer.grade = "B"
        for index in order:
            direction, channel, at = log[index]
            log_message(
                session,
                customer,
                direction=direction,
                channel=channel,
                actor=me,
                at=datetime.fromisoformat(at),
            )
        assert customer.awaiting_since == datetime(2026, 9, 10, 2, 0, tzinfo=UTC)
        assert customer.last_in_channel == "fax"
        assert customer.last_out_at == datetime(2026, 9, 3, 10, 5, tzinfo=UTC)
        assert str(customer.due_on) == "2026-09-10"
        assert customer.acquired_at == datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def test_open_inquiry_product_is_the_newest_open_one_paged_or_whole(session):
    from datetime import date

    from laop.models import Customer, Inquiry
    from laop.services.due import DueQuery, due_list

    inquiries = {
        "Both Open": [("new", "Old lamp", 1), ("quoted", "New lamp", 5), ("lost", "Lost lamp", 9)],
        "Nameless Newest": [("sample", "Sample lamp", 2), ("new", None, 8)],
        "Closed Only": [("ordered", "Ordered lamp", 3)],
    }
    ids = {}
    for company, rows in inquiries.items():
        customer = Customer(
            company=company, company_key=company.lower(), grade="B", due_on=date(2026, 10, 1)
        )
        session.add(customer)
        session.flush()
        ids[company] = customer.id
        for status, product, day in rows:
            session.add(
                Inquiry(
                    customer_id=customer.id,
                    channel="inquiry",
                    product=product,
                    status=status,
                    received_at=datetime(2026, 9, day, 8, 0, tzinfo=UTC),
                )
            )
    session.commit()
    expected = {ids["Both Open"]: "New lamp", ids["Nameless Newest"]: "Sample lamp"}
    query = DueQuery(as_of=date(2026, 10, 6), reference=date(2026, 10, 6))
    for limit in (None, 10):
        rows = due_list(session, query, owner=None, limit=limit).rows
        assert {r["customer_id"]: r["open_inquiry_product"] for r in rows} == {
            **expected,
            ids["Closed Only"]: None,
        }
