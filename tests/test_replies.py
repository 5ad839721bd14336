"""Reply clocks and reply KPIs (DOMAIN §5); business time zone Asia/Shanghai."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from laop.services.replies import LogEntry, derive_clocks

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 20 Nov, noon in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def buyer(cli, name="Acme GmbH", owner=None):
    args = [
        "customer",
        "add",
        "--company",
        name,
        "--email",
        f"x@{name.split()[0].lower()}.com",
        "--json",
    ]
    out = cli(*args, *(["--owner", owner] if owner else []))
    assert out.exit_code == 0, out.stderr
    return str(out.json()["id"])


def log(cli, cid, direction, channel, at, *extra):
    out = cli("log", cid, "--direction", direction, "--channel", channel, "--at", at, *extra)
    assert out.exit_code == 0, out.stderr


def clocks(cli):
    out = cli("inquiry", "list", "--awaiting", "--all", "--json")
    assert out.exit_code == 0, out.stderr
    return out.json()


def stats(cli, month="2026-11", user=None):
    out = cli("replies", "--month", month, "--all", "--json", user=user)
    assert out.exit_code == 0, out.stderr
    return out.json()


def test_messages_either_side_of_midnight_open_two_clocks_closed_by_one_reply(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "inquiry", "2026-11-10T23:50")
    log(cli, cid, "in", "tm", "2026-11-11T00:10")
    # Both breached: the most recently breached (the inquiry's 24 h) comes first.
    assert [(c["opened_at"], c["channel"]) for c in clocks(cli)] == [
        ("2026-11-10T23:50:00+08:00", "inquiry"),
        ("2026-11-11T00:10:00+08:00", "tm"),
    ]
    log(cli, cid, "out", "tm", "2026-11-11T00:30", "--kind", "reply")
    assert clocks(cli) == []
    team = stats(cli)["team"]
    assert (team["clocks"], team["timely"]) == (2, 2)
    assert team["same_day_rate"] == 0.5  # the 23:50 clock closed the next day
    assert team["avg_reply_hours"] == round((40 * 60 + 20 * 60) / 2 / 3600, 2)


def test_an_auto_reply_closes_nothing(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "inquiry", "2026-11-19T10:00")
    log(cli, cid, "out", "inquiry", "2026-11-19T10:01", "--auto")
    waiting = clocks(cli)
    assert len(waiting) == 1 and waiting[0]["channel"] == "inquiry"
    assert (
        cli("customer", "show", cid, "--json").json()["awaiting_since"]
        == "2026-11-19T10:00:00+08:00"
    )


def test_an_outbound_message_backdated_before_the_inquiry_does_not_answer_it(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "email", "2026-11-19T10:00")
    log(cli, cid, "out", "email", "2026-11-19T09:00")
    assert len(clocks(cli)) == 1
    log(cli, cid, "out", "email", "2026-11-19T10:00")  # the same instant answers it
    assert clocks(cli) == []


def test_explicit_offsets_and_naive_times_are_the_same_instant(cli):
    a, b = buyer(cli, "Alpha Co"), buyer(cli, "Bravo Co")
    log(cli, a, "in", "inquiry", "2026-11-19T02:00:00Z")
    log(cli, b, "in", "inquiry", "2026-11-19T10:00")
    opened = {c["customer_id"]: c["opened_at"] for c in clocks(cli)}
    assert opened[int(a)] == opened[int(b)] == "2026-11-19T10:00:00+08:00"
    log(cli, a, "out", "email", "2026-11-19T12:30:00+10:30")  # 10:00 Shanghai
    assert [c["customer_id"] for c in clocks(cli)] == [int(b)]


def test_fax_after_13_hours_is_late_but_an_inquiry_is_not(cli):
    fax, web = buyer(cli, "Fax Co"), buyer(cli, "Web Co")
    log(cli, fax, "in", "fax", "2026-11-18T08:00")
    log(cli, web, "in", "inquiry", "2026-11-18T08:00")
    log(cli, fax, "out", "fax", "2026-11-18T21:00")
    log(cli, web, "out", "inquiry", "2026-11-18T21:00")
    users = stats(cli)
    team = users["team"]
    assert (team["clocks"], team["timely"], team["timely_reply_rate"]) == (2, 1, 0.5)
    assert team["same_day_rate"] == 1.0
    assert team["avg_reply_hours"] == 13.0
    assert [b["count"] for b in team["distribution"]] == [0, 0, 0, 0, 0, 2, 0]


def test_month_scenario_hand_computed(cli):
    """Six clocks opened in October by two salespeople.

    lily:  A inquiry 1 Oct 09:00 → 09:30 (0.5 h, timely, same day)
           B tm      2 Oct 10:00 → 12:00 (2 h, SLA 1 h: late, same day)
           C email   3 Oct 20:00 → 4 Oct 08:00 (12 h, timely, next day)
    tom:   D inquiry 30 Oct 23:00 → 1 Nov 01:00 (26 h: late, next days; still October's)
           E fax     31 Oct 08:00 → spam at 31 Oct 09:00 (1 h, handled in time, same day)
           F tm      31 Oct 15:00, never answered (deadline passed: counts, not timely)
    lily 3 clocks, 2 timely, 2 same day, average 14.5/3 h.
    tom  3 clocks, 1 timely, 1 same day, average of the 2 closed (26 + 1)/2 h.
    team 6 clocks, 3 timely (0.5), 3 same day (0.5), average (14.5 + 27)/5 = 8.3 h.
    """
    cli("user", "add", "lily")
    cli("user", "add", "tom")
    cli("user", "add", "boss", "--role", "manager")
    a = buyer(cli, "Alpha Co", "lily")
    b = buyer(cli, "Bravo Co", "lily")
    c = buyer(cli, "Charlie Co", "lily")
    d = buyer(cli, "Delta Co", "tom")
    f = buyer(cli, "Foxtrot Co", "tom")
    as_boss = ("--as", "boss")

    def note(cid, direction, channel, at):
        out = cli(*as_boss, "log", cid, "--direction", direction, "--channel", channel, "--at", at)
        assert out.exit_code == 0, out.stderr

    note(a, "in", "inquiry", "2026-10-01T09:00")
    note(a, "out", "email", "2026-10-01T09:30")
    note(b, "in", "tm", "2026-10-02T10:00")
    note(b, "out", "tm", "2026-10-02T12:00")
    note(c, "in", "email", "2026-10-03T20:00")
    note(c, "out", "email", "2026-10-04T08:00")
    note(d, "in", "inquiry", "2026-10-30T23:00")
    note(d, "out", "email", "2026-11-01T01:00")
    spam = cli(
        *as_boss,
        "inquiry",
        "add",
        "--channel",
        "fax",
        "--customer",
        f,
        "--at",
        "2026-10-31T08:00",
        "--json",
    ).json()
    with time_machine.travel(
        datetime(2026, 10, 31, 1, 0, tzinfo=UTC), tick=False
    ):  # 09:00 Shanghai
        assert cli(*as_boss, "inquiry", "spam", str(spam["inquiry_id"])).exit_code == 0
    note(f, "in", "tm", "2026-10-31T15:00")
    report = stats(cli, "2026-10", user="boss")
    by_user = {u["user"]: u for u in report["users"]}
    assert set(by_user) == {"lily", "tom"}
    lily, tom, team = by_user["lily"], by_user["tom"], report["team"]
    assert (lily["clocks"], lily["timely"], lily["timely_reply_rate"]) == (3, 2, 0.6667)
    assert lily["same_day_rate"] == 0.6667
    assert lily["avg_reply_hours"] == round(14.5 / 3, 2)
    assert (tom["clocks"], tom["timely"], tom["timely_reply_rate"]) == (3, 1, 0.3333)
    assert tom["same_day_rate"] == 0.3333
    assert tom["avg_reply_hours"] == 13.5
    assert (team["clocks"], team["timely"], team["timely_reply_rate"], team["same_day_rate"]) == (
        6,
        3,
        0.5,
        0.5,
    )
    assert team["avg_reply_hours"] == 8.3
    assert [b["count"] for b in team["distribution"]] == [2, 1, 0, 0, 1, 0, 1]
    november = stats(cli, "2026-11", user="boss")
    assert november["team"]["clocks"] == 0 and november["team"]["timely_reply_rate"] is None


def test_open_clock_counts_only_once_its_deadline_passed(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "inquiry", "2026-11-20T09:00")  # deadline tomorrow 09:00
    assert stats(cli)["team"]["clocks"] == 0
    log(cli, cid, "in", "tm", "2026-11-19T09:00")  # a day earlier: deadline long past
    team = stats(cli)["team"]
    assert (team["clocks"], team["timely"], team["timely_reply_rate"]) == (1, 0, 0.0)
    assert team["avg_reply_hours"] is None


def test_a_second_question_after_our_reply_opens_a_new_clock(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "tm", "2026-11-19T09:00")
    log(cli, cid, "out", "tm", "2026-11-19T09:10")
    log(cli, cid, "in", "tm", "2026-11-19T09:20")
    log(cli, cid, "in", "tm", "2026-11-19T09:25")
    waiting = clocks(cli)
    assert [c["opened_at"] for c in waiting] == ["2026-11-19T09:20:00+08:00"]
    assert waiting[0]["breached"] is True
    assert cli("inquiry", "list", "--breached", "--all", "--json").json() == waiting


def test_spam_closes_the_clock_and_the_wait(cli):
    out = cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "Spammy",
        "--email",
        "win@prize.biz",
        "--at",
        "2026-11-20T08:00",
        "--json",
    ).json()
    assert len(clocks(cli)) == 1
    assert cli("inquiry", "spam", str(out["inquiry_id"])).exit_code == 0
    assert clocks(cli) == []
    assert (
        cli("customer", "show", str(out["customer_id"]), "--json").json()["awaiting_since"] is None
    )
    again = cli("inquiry", "spam", str(out["inquiry_id"]))
    assert again.exit_code == 6
    missing = cli("inquiry", "spam", "999")
    assert missing.exit_code == 4 and "999" in missing.stderr


def test_sla_setting_re_derives_deadlines(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "email", "2026-11-19T09:00")
    log(cli, cid, "out", "email", "2026-11-19T23:00")  # 14 h
    assert stats(cli)["team"]["timely"] == 1
    assert cli("config", "set", "sla.email", "12").exit_code == 0
    assert stats(cli)["team"]["timely"] == 0
    assert cli("config", "set", "sla.email", "0.5").exit_code == 0
    bad = cli("config", "set", "sla.email", "--", "-3")
    assert bad.exit_code == 3 and "-3" in bad.stderr
    assert cli("config", "get", "sla.email").stdout.strip() == "0.5"


def test_clock_stays_with_the_owner_it_opened_under(cli):
    cli("user", "add", "lily")
    cli("user", "add", "tom")
    cid = buyer(cli, "Moving Co", "lily")
    cli(
        "--as",
        "lily",
        "log",
        cid,
        "--direction",
        "in",
        "--channel",
        "tm",
        "--at",
        "2026-11-19T09:00",
    )
    cli("--as", "lily", "customer", "edit", cid, "--owner", "tom")
    cli(
        "--as",
        "tom",
        "log",
        cid,
        "--direction",
        "out",
        "--channel",
        "tm",
        "--at",
        "2026-11-19T09:30",
    )
    report = stats(cli, "2026-11", user="tom")
    assert [(u["user"], u["clocks"]) for u in report["users"]] == [("lily", 1)]


def test_open_clock_json_keys(cli):
    cid = buyer(cli)
    log(cli, cid, "in", "tm", "2026-11-20T11:30")
    row = clocks(cli)[0]
    assert row["customer_id"] == int(cid)
    assert row["company"] == "Acme GmbH"
    assert row["channel"] == "tm"
    assert row["opened_at"] == "2026-11-20T11:30:00+08:00"
    assert row["sla_deadline"] == "2026-11-20T12:30:00+08:00"
    assert row["breached"] is False
    assert row["hours_left"] == 0.5


entries = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=72 * 60),  # minutes after the start
        st.sampled_from(["in", "out"]),
        st.sampled_from(["inquiry", "tm", "fax", "email"]),
        st.booleans(),
    ),
    max_size=12,
)


@given(entries, st.randoms())
def test_clocks_do_not_depend_on_logging_order(rows, shuffler):
    start = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    log_rows = [
        LogEntry(i + 1, start + timedelta(minutes=m), d, ch, auto)
        for i, (m, d, ch, auto) in enumerate(rows)
    ]
    shuffled = list(log_rows)
    shuffler.shuffle(shuffled)
    sla = {"tm": 1.0, "fax": 12.0}.get

    def derive(entries):  # type: ignore[no-untyped-def]
        return derive_clocks(entries, tz=SHANGHAI, sla=lambda ch: sla(ch, 24.0))

    first, second = derive(log_rows), derive(shuffled)
    assert [(c.opened_at, c.closed_at, c.channel) for c in first] == [
        (c.opened_at, c.closed_at, c.channel) for c in second
    ]
    manual_in = [e for e in log_rows if e.direction == "in" and not e.auto]
    assert sum(len(c.message_ids) for c in first) == len(manual_in)
    for clock in first:
        assert clock.closed_at is None or clock.closed_at >= clock.opened_at
