"""The manager's A-grade list and cadence compliance."""

from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)  # Monday 2 November, noon in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def add(cli, company, grade=None, at="2026-09-20T10:00"):
    out = cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        company,
        "--email",
        f"buyer@{company.lower().replace(' ', '')}.com",
        "--product",
        "LED panel",
        "--at",
        at,
        "--json",
    )
    cid = str(out.json()["customer_id"])
    if grade:
        assert cli("grade", cid, grade).exit_code == 0
    return cid


def out(cli, cid, at):
    assert cli("log", cid, "--direction", "out", "--channel", "email", "--at", at).exit_code == 0


def test_a_list_shows_every_a_buyer_with_situation(cli):
    a = add(cli, "Alpha Lights", "A")
    add(cli, "Bravo Lamps", "B")
    out(cli, a, "2026-11-01T09:00")
    report = cli("report", "a-list", "--json").json()
    assert report["month"] == "2026-11"
    assert [r["company"] for r in report["customers"]] == ["Alpha Lights"]
    row = report["customers"][0]
    assert row["contacts_in_month"] == {"in": 0, "out": 1}
    assert row["open_inquiries"][0]["product"] == "LED panel"
    assert row["recent_messages"][0]["direction"] == "out"
    md = cli("report", "a-list", "--markdown")
    assert md.stdout.startswith("# A-grade buyers A级客户 — 2026-11")
    assert "## Alpha Lights" in md.stdout


def test_a_list_for_a_past_month_uses_the_grade_then(cli):
    cid = add(cli, "Regraded Co")
    with time_machine.travel(datetime(2026, 10, 10, 4, 0, tzinfo=UTC), tick=False):
        cli("grade", cid, "A")
    cli("grade", cid, "C")  # in November
    late = add(cli, "Graded Late Co")
    cli("grade", late, "A")  # first graded in November: not an A buyer in October
    october = cli("report", "a-list", "--month", "2026-10", "--json").json()
    assert [r["company"] for r in october["customers"]] == ["Regraded Co"]
    november = cli("report", "a-list", "--json").json()
    assert [r["company"] for r in november["customers"]] == ["Graded Late Co"]


def test_cadence_compliance_counts_weeks_by_grade(cli):
    with time_machine.travel(datetime(2026, 9, 25, 4, 0, tzinfo=UTC), tick=False):
        a_ok = add(cli, "Always On Time", "A")
        a_late = add(cli, "Sometimes Late", "A")
        d_ok = add(cli, "Monthly Buyer", "D")
    # October's ISO weeks by Thursday: 28 Sep–4 Oct … 26 Oct–1 Nov (five weeks).
    for monday in ("2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"):
        day = int(monday[-2:])
        month = monday[5:7]
        out(cli, a_ok, f"2026-{month}-{day:02d}T10:00")
        out(cli, a_ok, f"2026-{month}-{day + 2:02d}T10:00")
        out(cli, a_late, f"2026-{month}-{day:02d}T10:00")  # only once a week
    out(cli, d_ok, "2026-10-15T10:00")
    report = cli("report", "cadence", "--month", "2026-10", "--all", "--json").json()
    assert report["by_grade"]["A"] == {"assessed": 2, "compliant": 1, "rate": 0.5}
    assert report["by_grade"]["D"] == {"assessed": 1, "compliant": 1, "rate": 1.0}
    assert report["by_grade"]["B"]["rate"] is None
    assert (report["assessed"], report["compliant"], report["rate"]) == (3, 2, 0.6667)
    # October's last week ends on Sunday 1 November: it is judged in October.
    assert report["as_of"] == "2026-11-01"


def test_cadence_skips_windows_not_yet_ended(cli):
    with time_machine.travel(datetime(2026, 10, 20, 4, 0, tzinfo=UTC), tick=False):
        add(cli, "Fresh B", "B")
    report = cli("report", "cadence", "--month", "2026-11", "--all", "--json").json()
    # Monday 2 November: no November week has ended yet.
    assert report["assessed"] == 0 and report["rate"] is None


def test_markup_in_buyer_text_is_shown_literally(cli):
    cli("customer", "add", "--company", "[bold]Bracket[/bold] Co", "--note", "[red]x[/red]")
    shown = cli("customer", "show", "1")
    assert "[bold]Bracket[/bold] Co" in shown.stdout
    assert "[red]x[/red]" in shown.stdout


@pytest.mark.parametrize("seed", [4, 5])
def test_a_list_of_a_past_month_matches_the_grade_histories(session, seed):
    """Random grade histories and messages, many on the month's last instant."""
    import random

    from sqlmodel import select

    from laop.models import Customer, GradeChange, Message
    from laop.services.reports import a_list
    from tests.test_compliance import build, edge

    build(session, random.Random(seed))
    end = edge(datetime(2026, 11, 1).date())
    expected, newest = set(), {}
    for customer in session.exec(select(Customer)):
        changes = sorted(
            (c.at, c.id, c.new_grade)
            for c in session.exec(select(GradeChange).where(GradeChange.customer_id == customer.id))
        )
        before = [grade for at, _id, grade in changes if at < end]
        held = (before[-1] if before else None) if changes else customer.grade
        if held == "A" and customer.acquired_at < end:
            expected.add(customer.company)
            messages = session.exec(
                select(Message).where(Message.customer_id == customer.id, Message.at < end)
            )
            ordered = sorted(messages, key=lambda m: (m.at, m.id), reverse=True)[:3]
            newest[customer.company] = [m.at for m in ordered]
    report = a_list(session, year=2026, month=10, owner=None)
    assert len(expected) > 5
    assert {row["company"] for row in report["customers"]} == expected
    for row in report["customers"]:
        shown = [datetime.fromisoformat(m["at"]) for m in row["recent_messages"]]
        assert shown == [at.replace(microsecond=0) for at in newest[row["company"]]]
