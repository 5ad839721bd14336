"""Cadence compliance against a plain reading of the rule, on random histories.

The service counts most buyers in SQL and walks the regraded ones in Python; this
builds random grade histories and contacts (many on window edges) and checks every
figure against a direct, buyer-by-buyer computation of DOMAIN §4.
"""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from laop.models import Customer, GradeChange, Message, User
from laop.services.compliance import (
    REQUIRED_CONTACTS,
    cadence_compliance,
    compliance_by_owner,
    grade_windows,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
GRADES = ("A", "B", "C", "D")


def edge(day: date) -> datetime:
    """Midnight in Shanghai, as a UTC instant: where windows start and end."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def random_instant(rng: random.Random, edges: list[datetime]) -> datetime:
    if rng.random() < 0.3:  # on an edge, or a microsecond either side of it
        return rng.choice(edges) + timedelta(microseconds=rng.choice((-1, 0, 1)))
    start = datetime(2026, 9, 20, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(60 * 86_400))


def build(session, rng: random.Random) -> tuple[list[int], list[datetime]]:  # type: ignore[no-untyped-def]
    owners = []
    for name in ("ann", "bob", "cho"):
        user = User(name=name, role="sales")
        session.add(user)
        session.flush()
        owners.append(user.id)
    edges = sorted(
        {
            edge(a)
            for g in GRADES
            for first, after in grade_windows(g, 2026, 10)
            for a in (first, after)
        }
    )
    for n in range(150):
        acquired = random_instant(rng, edges)
        history = sorted(random_instant(rng, edges) for _ in range(rng.choice((0, 0, 1, 1, 2, 3))))
        grades = [rng.choice(GRADES) for _ in history]
        # Without a recorded change: graded on an imported sheet, or not at all.
        current = grades[-1] if history else rng.choice((*GRADES, None))
        customer = Customer(
            company=f"Buyer {n}",
            company_key=f"buyer {n}",
            grade=current,
            owner_id=rng.choice((*owners, None)),
            acquired_at=acquired,
        )
        session.add(customer)
        session.flush()
        previous = None
        for at, grade in zip(history, grades, strict=True):
            session.add(
                GradeChange(customer_id=customer.id, old_grade=previous, new_grade=grade, at=at)
            )
            previous = grade
        for _ in range(rng.randrange(12)):
            session.add(
                Message(
                    customer_id=customer.id,
                    channel="email",
                    direction=rng.choice(("out", "out", "in")),
                    auto=rng.random() < 0.15,
                    at=random_instant(rng, edges),
                )
            )
    session.commit()
    return owners, edges


def reference(session, as_of: date):  # type: ignore[no-untyped-def]
    """Per owner: {grade: [assessed, compliant]} and [assessed, compliant] overall."""
    windows = [
        (grade, edge(first), edge(after))
        for grade in GRADES
        for first, after in grade_windows(grade, 2026, 10)
        if after <= as_of + timedelta(days=1)
    ]
    per_grade: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    overall: dict = defaultdict(lambda: [0, 0])
    for customer in session.exec(select(Customer)):
        changes = sorted(
            (c.at, c.id, c.new_grade)
            for c in session.exec(select(GradeChange).where(GradeChange.customer_id == customer.id))
        )
        contacts = [
            m.at
            for m in session.exec(select(Message).where(Message.customer_id == customer.id))
            if m.direction == "out" and not m.auto
        ]

        def held(start: datetime, end: datetime, customer=customer, changes=changes):  # type: ignore[no-untyped-def]
            if customer.acquired_at > start:  # not yet ours when the window began
                return None
            if not changes:  # graded since acquisition, or never
                return customer.grade
            if any(start < at < end for at, _id, _g in changes):
                return None
            before = [g for at, _id, g in changes if at <= start]
            return before[-1] if before else None

        judged = [(g, s, e) for g, s, e in windows if held(s, e) == g]
        if not judged:
            continue
        ok = all(sum(s <= at < e for at in contacts) >= REQUIRED_CONTACTS[g] for g, s, e in judged)
        for grade in {g for g, _s, _e in judged}:
            per_grade[customer.owner_id][grade][0] += 1
            per_grade[customer.owner_id][grade][1] += int(ok)
        overall[customer.owner_id][0] += 1
        overall[customer.owner_id][1] += int(ok)
    return per_grade, overall


def rate(compliant: int, assessed: int) -> float | None:
    return round(compliant / assessed, 4) if assessed else None


def expected_summary(per_grade, overall, owners) -> dict:  # type: ignore[no-untyped-def]
    by_grade = {}
    for grade in GRADES:
        assessed = sum(per_grade[o][grade][0] for o in owners)
        compliant = sum(per_grade[o][grade][1] for o in owners)
        by_grade[grade] = {
            "assessed": assessed,
            "compliant": compliant,
            "rate": rate(compliant, assessed),
        }
    assessed = sum(overall[o][0] for o in owners)
    compliant = sum(overall[o][1] for o in owners)
    return {
        "assessed": assessed,
        "compliant": compliant,
        "rate": rate(compliant, assessed),
        "by_grade": by_grade,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("as_of", [date(2026, 11, 27), date(2026, 10, 20)])
def test_compliance_matches_the_rule_buyer_by_buyer(session, seed: int, as_of: date) -> None:
    owners, _edges = build(session, random.Random(seed))
    per_grade, overall = reference(session, as_of)
    assert sum(a for a, _c in overall.values()) > 10  # the random team is really judged

    per_owner, team = compliance_by_owner(session, year=2026, month=10, as_of=as_of)
    everyone = [*owners, None]
    assert team == expected_summary(per_grade, overall, everyone)
    for owner in everyone:
        if overall[owner][0]:
            assert per_owner[owner] == expected_summary(per_grade, overall, [owner])
    for owner_id in owners:
        user = session.get(User, owner_id)
        alone = cadence_compliance(session, year=2026, month=10, owner=user, as_of=as_of)
        assert {k: alone[k] for k in ("assessed", "compliant", "rate", "by_grade")} == (
            expected_summary(per_grade, overall, [owner_id])
        )
