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

Most buyers keep one grade all month: they are counted by one aggregate query over
the month's outbound messages. Only buyers graded or regraded during the month (a
few) are walked through their grade history in Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, or_
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
ID_CHUNK = 10_000  # buyer ids per IN list (SQLite allows 32,766 parameters)
FEW_BUYERS = 500  # up to this many, their messages are reached buyer by buyer


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
    """Each buyer's grade changes up to ``end``: (when, new grade), oldest first."""
    history: dict[int, list[tuple[datetime | None, str | None]]] = defaultdict(list)
    for start in range(0, len(customer_ids), ID_CHUNK):
        chunk = customer_ids[start : start + ID_CHUNK]
        for customer_id, at, grade in (
            session.connection()
            .execute(
                select(GradeChange.customer_id, GradeChange.at, GradeChange.new_grade)
                .where(GradeChange.customer_id.in_(chunk), GradeChange.at < end)  # type: ignore[attr-defined]
                .order_by(GradeChange.customer_id, GradeChange.at, GradeChange.id)
            )
            .all()
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


@dataclass
class _Window:
    label: str
    grade: str
    start: datetime
    end: datetime


@dataclass
class _Tally:
    """Assessed and compliant buyers, per owner and grade."""

    assessed: dict[tuple[int | None, str], int] = field(default_factory=lambda: defaultdict(int))
    compliant: dict[tuple[int | None, str], int] = field(default_factory=lambda: defaultdict(int))
    # A buyer assessed under two grades in one month counts once overall.
    overall: dict[int | None, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )


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
    tally = _tally(
        session, year=year, month=month, as_of=as_of, owner_id=owner.id if owner else None
    )
    return {
        "month": f"{year:04d}-{month:02d}",
        "owner": owner.name if owner else None,
        "as_of": as_of.isoformat(),
        **_summary(tally, owners=None),
    }


def compliance_by_owner(
    session: Session, *, year: int, month: int, as_of: date | None = None
) -> tuple[dict[int | None, dict[str, Any]], dict[str, Any]]:
    """Cadence compliance of every owner's buyers, and of the team, in one pass."""
    tz = business_tz(session)
    as_of = _as_of(year, month, as_of or today(tz))
    tally = _tally(session, year=year, month=month, as_of=as_of, owner_id=None)
    per_owner = {owner_id: _summary(tally, owners={owner_id}) for owner_id in tally.overall}
    return per_owner, _summary(tally, owners=None)


def _as_of(year: int, month: int, as_of: date) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return min(as_of, following - timedelta(days=1))


def _windows(year: int, month: int, as_of: date, tz: Any) -> list[_Window]:
    # A and B share their weeks: a span judged for several grades is counted once.
    windows, labels = [], {}
    for grade in REQUIRED_CONTACTS:
        for first, after in grade_windows(grade, year, month):
            if after > as_of + timedelta(days=1):
                continue  # the window has not ended yet
            span = (first, after)
            labels.setdefault(span, f"span{len(labels)}")
            start, end = day_bounds(first, tz)[0], day_bounds(after, tz)[0]
            windows.append(_Window(labels[span], grade, start, end))
    return windows


def _window_counts(windows: list[_Window], ids: list[int] | None = None) -> Any:
    """Outbound, non-automatic contacts per buyer in each window: one pass over the month.

    For the whole team, or many buyers, the direction filter narrows the scan to our
    outbound contacts (a covering index); for a few given buyers it moves into the
    sums, so that the planner reaches their messages by buyer instead of scanning the
    month.
    """
    first_start = min(w.start for w in windows)
    last_end = max(w.end for w in windows)
    ours = and_(Message.direction == "out", Message.auto.is_(False))  # type: ignore[attr-defined]
    windows = list({w.label: w for w in windows}.values())
    in_window = [and_(Message.at >= w.start, Message.at < w.end) for w in windows]
    by_buyer = ids is not None and len(ids) <= FEW_BUYERS
    if by_buyer:
        in_window = [and_(ours, condition) for condition in in_window]
    statement = select(
        Message.customer_id,
        *(
            func.sum(case((condition, 1), else_=0)).label(w.label)
            for condition, w in zip(in_window, windows, strict=True)
        ),
    ).where(Message.at >= first_start, Message.at < last_end)
    if not by_buyer:
        statement = statement.where(ours)
    if ids is not None:
        statement = statement.where(Message.customer_id.in_(ids))  # type: ignore[attr-defined]
    return statement.group_by(Message.customer_id)


def _tally(session: Session, *, year: int, month: int, as_of: date, owner_id: int | None) -> _Tally:
    tz = business_tz(session)
    windows = _windows(year, month, as_of, tz)
    tally = _Tally()
    if not windows:
        return tally
    first_start = min(w.start for w in windows)
    last_end = max(w.end for w in windows)
    counts = _window_counts(windows).subquery()
    # Uncorrelated sets (built once) rather than a lookup per buyer.
    changed_since = Customer.id.in_(  # type: ignore[union-attr]
        select(GradeChange.customer_id).where(GradeChange.at > first_start)
    )
    has_history = Customer.id.in_(select(GradeChange.customer_id))  # type: ignore[union-attr]
    # Buyers that kept one grade from before the first window to now.
    stable = and_(
        Customer.grade.is_not(None),  # type: ignore[union-attr]
        ~changed_since,
        or_(has_history, Customer.acquired_at <= first_start),
    )
    kept = case(
        *(
            (
                and_(
                    Customer.grade == grade,
                    *(
                        func.coalesce(counts.c[w.label], 0) >= required
                        for w in windows
                        if w.grade == grade
                    ),
                ),
                1,
            )
            for grade, required in REQUIRED_CONTACTS.items()
            if any(w.grade == grade for w in windows)
        ),
        else_=0,
    )
    judged = [g for g in REQUIRED_CONTACTS if any(w.grade == g for w in windows)]
    statement = (
        select(Customer.owner_id, Customer.grade, func.count(), func.sum(kept))
        .select_from(Customer)
        .outerjoin(counts, counts.c.customer_id == Customer.id)
        .where(stable, Customer.grade.in_(judged))  # type: ignore[union-attr]
        .group_by(Customer.owner_id, Customer.grade)
    )
    if owner_id is not None:
        statement = statement.where(Customer.owner_id == owner_id)
    for owner, grade, assessed, compliant in session.exec(statement):
        tally.assessed[(owner, grade)] += assessed
        tally.compliant[(owner, grade)] += int(compliant or 0)
        tally.overall[owner][0] += assessed
        tally.overall[owner][1] += int(compliant or 0)
    _tally_changed(session, tally, windows=windows, owner_id=owner_id, last_end=last_end)
    return tally


def _tally_changed(
    session: Session,
    tally: _Tally,
    *,
    windows: list[_Window],
    owner_id: int | None,
    last_end: datetime,
) -> None:
    """Buyers graded or regraded since the first window, walked window by window.

    Buyers acquired after the last window cannot have been assessed and are skipped.
    """
    first_start = min(w.start for w in windows)
    columns = (Customer.id, Customer.owner_id, Customer.grade, Customer.acquired_at)
    regraded = select(GradeChange.customer_id).where(GradeChange.at > first_start).distinct()
    # Two index-driven queries rather than one OR that would scan every buyer.
    statements = [
        select(*columns).where(
            Customer.id.in_(regraded),  # type: ignore[union-attr]
            Customer.acquired_at < last_end,
        ),
        select(*columns).where(
            Customer.acquired_at > first_start,
            Customer.acquired_at < last_end,
            Customer.grade.is_not(None),  # type: ignore[union-attr]
            ~exists().where(GradeChange.customer_id == Customer.id),
        ),
    ]
    if owner_id is not None:
        statements = [s.where(Customer.owner_id == owner_id) for s in statements]
    connection = session.connection()
    rows = list({row[0]: row for s in statements for row in connection.execute(s).all()}.values())
    if not rows:
        return
    ids = [row[0] for row in rows]
    history = grades_between(session, ids, last_end + timedelta(days=7))  # type: ignore[arg-type]
    spans = list({w.label: w for w in windows}.values())
    window_counts: dict[int, Any] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        for row in connection.execute(_window_counts(windows, chunk)).all():
            window_counts[row[0]] = dict(zip((w.label for w in spans), row[1:], strict=True))
    for customer_id, owner, current, acquired in rows:
        known = history.get(customer_id)
        changes = known or [(None, current)]
        # The grade held throughout each span (A and B share their weeks).
        held = {
            span.label: _held_throughout(changes, span.start, span.end)
            for span in spans
            if known or acquired <= span.start
        }
        mine = window_counts.get(customer_id, {})
        grades: set[str] = set()
        ok = True
        for window in windows:
            if held.get(window.label) != window.grade:
                continue
            grades.add(window.grade)
            if mine.get(window.label, 0) < REQUIRED_CONTACTS[window.grade]:
                ok = False
        if not grades:
            continue
        for grade in grades:
            tally.assessed[(owner, grade)] += 1
            tally.compliant[(owner, grade)] += int(ok)
        tally.overall[owner][0] += 1
        tally.overall[owner][1] += int(ok)


def _summary(tally: _Tally, *, owners: set[int | None] | None) -> dict[str, Any]:
    def wanted(owner: int | None) -> bool:
        return owners is None or owner in owners

    by_grade = {}
    for grade in REQUIRED_CONTACTS:
        assessed = sum(n for (o, g), n in tally.assessed.items() if g == grade and wanted(o))
        compliant = sum(n for (o, g), n in tally.compliant.items() if g == grade and wanted(o))
        by_grade[grade] = {
            "assessed": assessed,
            "compliant": compliant,
            "rate": round(compliant / assessed, 4) if assessed else None,
        }
    assessed = sum(pair[0] for o, pair in tally.overall.items() if wanted(o))
    compliant = sum(pair[1] for o, pair in tally.overall.items() if wanted(o))
    return {
        "assessed": assessed,
        "compliant": compliant,
        "rate": round(compliant / assessed, 4) if assessed else None,
        "by_grade": by_grade,
    }
