"""Cadence compliance (DOMAIN §4): did each graded buyer get its follow-ups?

For a month, a buyer is assessed for each window it held one grade throughout:

=====  ============================  ========
grade  window                        required
=====  ============================  ========
A      ISO week (Monday–Sunday)      2
B      ISO week                      1
C      half month (1–15, 16–end)     1
D      the month                     1
=====  ============================  ========

A week belongs to the month its Thursday falls in (the ISO rule), so every week is
judged exactly once. Only windows that have ended by ``as_of`` count. A buyer is
compliant when every window it was assessed in had at least the required number of
outbound, non-automatic contacts; compliance is compliant buyers ÷ assessed buyers,
per grade and overall, rounded to 4 decimals (None when nobody was assessed).
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, func, select

from laop.models import Customer, GradeChange, Message, User
from laop.services.clock import business_tz, day_bounds, today

__all__ = [
    "REQUIRED_CONTACTS",
    "cadence_compliance",
    "compliance_by_owner",
    "grade_windows",
    "grades_between",
]

REQUIRED_CONTACTS = {"A": 2, "B": 1, "C": 1, "D": 1}


def grade_windows(grade: str, year: int, month: int) -> list[tuple[date, date]]:
    """The windows (first day, day after the last) a grade is judged in for a month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    if grade in ("A", "B"):
        monday = first - timedelta(days=first.weekday())
        weeks = []
        while monday < following:
            if first <= monday + timedelta(days=3) < following:  # its Thursday
                weeks.append((monday, monday + timedelta(days=7)))
            monday += timedelta(days=7)
        return weeks
    if grade == "C":
        middle = date(year, month, 16)
        return [(first, middle), (middle, following)]
    return [(first, following)]


def grades_between(
    session: Session, customer_ids: list[int], end: datetime
) -> dict[int, list[tuple[datetime | None, str | None]]]:
    """Each buyer's grade changes up to ``end``: (when, new grade), oldest first.

    A buyer graded without a recorded change (older data) holds its grade from the start.
    """
    history: dict[int, list[tuple[datetime | None, str | None]]] = defaultdict(list)
    for start in range(0, len(customer_ids), 500):
        chunk = customer_ids[start : start + 500]
        for customer_id, at, grade in session.exec(
            select(GradeChange.customer_id, GradeChange.at, GradeChange.new_grade)
            .where(GradeChange.customer_id.in_(chunk), GradeChange.at < end)  # type: ignore[attr-defined]
            .order_by(GradeChange.customer_id, GradeChange.at, GradeChange.id)
        ):
            history[customer_id].append((at, grade))
    return history


def _held_throughout(
    changes: list[tuple[datetime | None, str | None]], start: datetime, end: datetime
) -> str | None:
    """The grade held from ``start`` to ``end`` without change, if any."""
    held: str | None = None
    for at, grade in changes:
        if at is None or at <= start:
            held = grade
        elif at < end:
            return None
    return held


def cadence_compliance(
    session: Session,
    *,
    year: int,
    month: int,
    owner: User | None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Cadence compliance of ``owner``'s buyers (None: the team) for a month."""
    tz = business_tz(session)
    as_of = _as_of(year, month, as_of or today(tz))
    owners, assessed, failed = _assess(
        session, year=year, month=month, as_of=as_of, owner_id=owner.id if owner else None
    )
    return {
        "month": f"{year:04d}-{month:02d}",
        "owner": owner.name if owner else None,
        "as_of": as_of.isoformat(),
        **_summary(assessed, failed, set(owners)),
    }


def compliance_by_owner(
    session: Session, *, year: int, month: int, as_of: date | None = None
) -> tuple[dict[int | None, dict[str, Any]], dict[str, Any]]:
    """Cadence compliance of every owner's buyers, and of the team, in one pass."""
    tz = business_tz(session)
    as_of = _as_of(year, month, as_of or today(tz))
    owners, assessed, failed = _assess(session, year=year, month=month, as_of=as_of, owner_id=None)
    members: dict[int | None, set[int]] = defaultdict(set)
    for customer_id, owner_id in owners.items():
        members[owner_id].add(customer_id)
    per_owner = {owner_id: _summary(assessed, failed, ids) for owner_id, ids in members.items()}
    return per_owner, _summary(assessed, failed, set(owners))


def _as_of(year: int, month: int, as_of: date) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return min(as_of, following - timedelta(days=1))


def _assess(
    session: Session, *, year: int, month: int, as_of: date, owner_id: int | None
) -> tuple[dict[int, int | None], dict[str, set[int]], set[int]]:
    """Which buyers were assessed for each grade, and which missed a window."""
    tz = business_tz(session)
    following = date(year + month // 12, month % 12 + 1, 1)
    statement = select(Customer.id, Customer.grade, Customer.acquired_at, Customer.owner_id)
    if owner_id is not None:
        statement = statement.where(Customer.owner_id == owner_id)
    customers = list(session.exec(statement))
    owners = {row[0]: row[3] for row in customers}
    month_end = day_bounds(following, tz)[0]
    history = grades_between(session, list(owners), month_end + timedelta(days=7))  # type: ignore[arg-type]
    assessed: dict[str, set[int]] = defaultdict(set)
    failed: set[int] = set()
    for grade, required in REQUIRED_CONTACTS.items():
        for first, after in grade_windows(grade, year, month):
            if after > as_of + timedelta(days=1):
                continue  # the window has not ended yet
            start, end = day_bounds(first, tz)[0], day_bounds(after, tz)[0]
            holders = []
            for customer_id, current, acquired, _owner in customers:
                changes = history.get(customer_id) or [(None, current)]  # type: ignore[arg-type]
                if acquired > start and not history.get(customer_id):  # type: ignore[arg-type]
                    continue
                if _held_throughout(changes, start, end) == grade:
                    holders.append(customer_id)
            if not holders:
                continue
            counts = _outbound_counts(session, holders, start, end)  # type: ignore[arg-type]
            for customer_id in holders:
                assessed[grade].add(customer_id)  # type: ignore[arg-type]
                if counts.get(customer_id, 0) < required:  # type: ignore[arg-type]
                    failed.add(customer_id)  # type: ignore[arg-type]
    return owners, assessed, failed  # type: ignore[return-value]


def _summary(assessed: dict[str, set[int]], failed: set[int], within: set[int]) -> dict[str, Any]:
    by_grade = {}
    everyone: set[int] = set()
    for grade in REQUIRED_CONTACTS:
        members = assessed[grade] & within
        everyone |= members
        ok = len(members - failed)
        by_grade[grade] = {
            "assessed": len(members),
            "compliant": ok,
            "rate": round(ok / len(members), 4) if members else None,
        }
    compliant = len(everyone - failed)
    return {
        "assessed": len(everyone),
        "compliant": compliant,
        "rate": round(compliant / len(everyone), 4) if everyone else None,
        "by_grade": by_grade,
    }


def _outbound_counts(
    session: Session, ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    counts: dict[int, int] = {}
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        counts.update(
            session.exec(
                select(Message.customer_id, func.count())
                .where(
                    Message.customer_id.in_(chunk),  # type: ignore[attr-defined]
                    Message.direction == "out",
                    Message.auto.is_(False),  # type: ignore[attr-defined]
                    Message.at >= start,
                    Message.at < end,
                )
                .group_by(Message.customer_id)
            ).all()
        )
    return counts
