"""The daily digest on the terminal and by e-mail, against a real SMTP server."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.smtpserver import SmtpServer, free_port

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # Friday 20 November, noon in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def ok(out):
    assert out.exit_code == 0, out.stderr
    return out


@pytest.fixture
def team(cli):
    ok(cli("user", "add", "lily", "--email", "lily@example.com"))
    ok(cli("user", "add", "tom", "--email", "tom@example.com"))
    ok(cli("user", "add", "boss", "--role", "manager", "--email", "boss@example.com"))
    ok(cli("user", "add", "ghost"))

    def buyer(name, owner):
        out = ok(
            cli(
                "--as",
                "boss",
                "customer",
                "add",
                "--company",
                name,
                "--email",
                f"x@{name.split()[0].lower()}.com",
                "--owner",
                owner,
                "--json",
            )
        )
        return str(out.json()["id"])

    def log(cid, direction, channel, at):
        ok(
            cli(
                "--as",
                "boss",
                "log",
                cid,
                "--direction",
                direction,
                "--channel",
                channel,
                "--at",
                at,
            )
        )

    awaiting = buyer("Awaiting Co", "lily")
    log(awaiting, "in", "tm", "2026-11-20T11:30")
    late = buyer("Late Co", "lily")
    log(late, "in", "inquiry", "2026-11-18T10:00")
    due = buyer("Due Co", "lily")
    with time_machine.travel(datetime(2026, 11, 1, 4, 0, tzinfo=UTC), tick=False):
        ok(cli("--as", "boss", "grade", due, "A"))
    log(due, "out", "email", "2026-11-16T10:00")
    order = ok(
        cli(
            "--as",
            "boss",
            "order",
            "add",
            due,
            "--kind",
            "regular",
            "--amount",
            "4200",
            "--currency",
            "USD",
            "--status",
            "confirmed",
            "--etd",
            "2026-11-25",
            "--json",
        )
    )
    assert order.json()["id"] == 1
    tom_buyer = buyer("Tom Buyer", "tom")
    with time_machine.travel(datetime(2026, 11, 1, 4, 0, tzinfo=UTC), tick=False):
        ok(cli("--as", "boss", "grade", tom_buyer, "B"))
    log(tom_buyer, "out", "email", "2026-11-13T10:00")
    fresh = ok(
        cli(
            "--as",
            "boss",
            "inquiry",
            "add",
            "--channel",
            "inquiry",
            "--company",
            "Fresh Buyer",
            "--email",
            "a@fresh.com",
            "--country",
            "VN",
            "--owner",
            "tom",
            "--product",
            "LED strip",
            "--at",
            "2026-11-19T09:00",
            "--json",
        )
    ).json()
    log(str(fresh["customer_id"]), "out", "inquiry", "2026-11-19T10:00")
    shipped = ok(
        cli(
            "--as",
            "boss",
            "order",
            "add",
            tom_buyer,
            "--kind",
            "sample",
            "--amount",
            "60",
            "--currency",
            "USD",
            "--status",
            "shipped",
            "--json",
        )
    ).json()
    assert shipped["status"] == "shipped"
    return cli


def test_text_digest_lists_the_day_most_urgent_first(team):
    out = ok(team("--as", "lily", "digest"))
    text = out.stdout
    assert "\x1b[" not in text
    assert text.splitlines()[0] == "laop daily digest 今日待办 — lily — 2026-11-20"
    order = [
        text.index(s)
        for s in (
            "Awaiting our reply 待回复 (2)",
            "Follow up 待跟进 (1)",
            "Orders to chase 订单跟进 (1)",
            "Quotas and targets 配额",
        )
    ]
    assert order == sorted(order)
    assert "#1 Awaiting Co — tm since 2026-11-20 11:30, breaches in 0.5 h" in text
    assert "#2 Late Co — inquiry since 2026-11-18 10:00, SLA breached 26.0 h ago" in text
    assert "#3 Due Co (A) — 1 day overdue, via phone" in text
    assert "order 1 Due Co: regular 4200.00 USD, confirmed — ETD 2026-11-25" in text
    assert "Tom Buyer" not in text
    assert "New buyers to grade 待评级 (2)" in text  # Awaiting Co and Late Co are ungraded
    tom = ok(team("--as", "tom", "digest")).stdout
    assert "Awaiting our reply" not in tom  # empty sections are left out


def test_markdown_and_team_digest(team):
    md = ok(team("--as", "boss", "digest", "--format", "markdown")).stdout
    assert md.startswith("# laop daily digest 今日待办 — team — 2026-11-20")
    assert "## New buyers to grade 待评级" in md
    assert "- #5 Fresh Buyer (VN), since 2026-11-19" in md
    assert "shipped — not yet delivered" in md
    assert "Tom Buyer (B) — due today, via email" in md


def test_long_sections_are_cut_in_mail_but_not_in_json(team, monkeypatch):
    # A team's digest can owe thousands of follow-ups: a mail lists the most urgent
    # and says where the rest are; JSON keeps every row.
    from laop.services import digest

    monkeypatch.setattr(digest, "SHOWN_PER_SECTION", 1)
    text = ok(team("--as", "boss", "digest")).stdout
    assert "Awaiting our reply 待回复 (2)" in text
    assert "#1 Awaiting Co — tm since" in text
    assert "Late Co" not in text
    assert "  - … and 1 more: laop due --all" in text
    assert "  - … and 2 more: laop customer list --ungraded --all" in text
    assert "  - … and 1 more: laop order list --all" in text
    mine = ok(team("--as", "lily", "digest", "--format", "markdown")).stdout
    assert "- … and 1 more: laop due --owner lily" in mine
    data = ok(team("--as", "boss", "digest", "--format", "json")).json()
    assert len(data["awaiting_reply"]) == data["counts"]["awaiting_reply"] == 2


def test_digest_follow_ups_are_the_due_list_without_the_awaiting(team):
    digest = ok(team("--as", "boss", "digest", "--format", "json")).json()
    listed = ok(team("--as", "boss", "due", "--all", "--json")).json()
    assert any(r["awaiting_reply"] for r in listed)  # the case worth checking is here
    assert digest["due"] == [r for r in listed if not r["awaiting_reply"]]


def test_json_has_stable_keys(team):
    data = ok(team("--as", "tom", "digest", "--format", "json")).json()
    assert list(data) == [
        "date",
        "user",
        "counts",
        "awaiting_reply",
        "due",
        "ungraded",
        "orders_to_chase",
        "quota",
        "empty",
    ]
    assert data["date"] == "2026-11-20" and data["user"] == "tom"
    assert data["counts"] == {"awaiting_reply": 0, "due": 2, "ungraded": 1, "orders_to_chase": 1}
    assert [r["company"] for r in data["due"]] == ["Fresh Buyer", "Tom Buyer"]
    assert data["ungraded"] == [
        {
            "customer_id": 5,
            "company": "Fresh Buyer",
            "contact": None,
            "country": "VN",
            "acquired_at": "2026-11-19T09:00:00+08:00",
        }
    ]
    assert data["orders_to_chase"] == [
        {
            "order_id": 2,
            "customer_id": 4,
            "company": "Tom Buyer",
            "kind": "sample",
            "status": "shipped",
            "amount": "60.00",
            "currency": "USD",
            "etd": None,
            "tracking": None,
            "reason": "not yet delivered",
        }
    ]
    assert list(data["quota"]) == [
        "date",
        "platform_date",
        "rfq",
        "visitor_daily_cap",
        "publish_target",
        "working_days",
        "users",
        "warnings",
    ]
    assert [u["user"] for u in data["quota"]["users"]] == ["tom"]
    assert data["empty"] is False


def test_an_empty_day_says_so_in_one_line(cli):
    ok(cli("user", "add", "solo"))
    out = ok(cli("digest"))
    assert (
        out.stdout == "laop daily digest 今日待办 — solo — 2026-11-20\nNothing needs doing today.\n"
    )
    assert ok(cli("digest", "--format", "json")).json()["empty"] is True


def configure(cli, port):
    ok(cli("config", "set", "smtp.host", "127.0.0.1", user="boss"))
    ok(cli("config", "set", "smtp.port", str(port), user="boss"))
    ok(cli("config", "set", "smtp.from", "laop 今日待办 <laop@example.com>", user="boss"))


def test_mail_sends_each_user_their_own_digest(team, smtp):
    from email.header import decode_header, make_header
    from email.utils import parsedate_to_datetime

    configure(team, smtp.port)
    out = ok(team("--as", "boss", "digest", "--mail"))
    assert "ghost has no e-mail address" in out.stderr
    assert "Sent 3 digests" in out.stderr
    by_rcpt = {m["To"]: m for m in smtp.messages}
    assert set(by_rcpt) == {"lily@example.com", "tom@example.com", "boss@example.com"}
    lily = by_rcpt["lily@example.com"]
    subject = str(make_header(decode_header(lily["Subject"])))
    assert subject == "laop 今日待办 lily 2026-11-20: 2 awaiting reply, 1 follow-ups"
    assert lily["From"].addresses[0].addr_spec == "laop@example.com"
    assert lily["From"].addresses[0].display_name == "laop 今日待办"
    assert parsedate_to_datetime(lily["Date"]).tzinfo is not None
    assert lily["Message-ID"].startswith("<") and lily["Message-ID"].endswith("@example.com>")
    assert lily.get_content_type() == "multipart/alternative"
    text = lily.get_body(preferencelist=("plain",)).get_content()
    html = lily.get_body(preferencelist=("html",)).get_content()
    for name in ("Awaiting Co", "Late Co", "Due Co"):
        assert name in text and name in html
    assert "Tom Buyer" not in text
    tom_text = by_rcpt["tom@example.com"].get_body(preferencelist=("plain",)).get_content()
    assert "Tom Buyer" in tom_text and "Awaiting Co" not in tom_text


def test_mail_to_one_address(team, smtp):
    configure(team, smtp.port)
    ok(team("--as", "boss", "digest", "--all", "--mail-to", "Chief@Example.com"))
    assert [m["To"] for m in smtp.messages] == ["chief@example.com"]
    assert "Fresh Buyer" in smtp.messages[0].get_body(preferencelist=("plain",)).get_content()


def test_server_down_is_one_sentence_and_non_zero(team):
    configure(team, free_port())
    out = team("--as", "boss", "digest", "--mail")
    assert out.exit_code == 9
    assert "Cannot send mail through 127.0.0.1" in out.stderr
    assert "Traceback" not in out.stderr


def test_one_refused_mailbox_does_not_stop_the_others(team, smtp):
    configure(team, smtp.port)
    ok(team("user", "edit", "tom", "--email", "refuse-tom@example.com", user="boss"))
    out = team("--as", "boss", "digest", "--mail")
    assert out.exit_code == 9
    assert "failed for tom" in out.stderr and "550" in out.stderr
    assert sorted(m["To"] for m in smtp.messages) == ["boss@example.com", "lily@example.com"]


def test_mail_needs_a_sender(team):
    out = team("--as", "boss", "digest", "--mail")
    assert out.exit_code == 3
    assert "smtp.from" in out.stderr


def test_password_comes_only_from_the_environment(team):
    ok(team("config", "set", "smtp.from", "laop@example.com", user="boss"))
    ok(team("config", "set", "smtp.user", "mailer", user="boss"))
    out = team("--as", "boss", "digest", "--mail")
    assert out.exit_code == 3 and "LAOP_SMTP_PASSWORD" in out.stderr
    unknown = team("config", "set", "smtp.password", "secret", user="boss")
    assert unknown.exit_code == 4
