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
judged exactly once, even one that ends on the 1st to 3rd of the next month. Only
windows that have ended by ``as_of`` count. A buyer is judged in a window it was ours
for (acquired by its start) and held one grade throughout. A buyer is compliant when
every window it was assessed in had at least the required number of outbound,
non-automatic contacts; compliance is compliant buyers ÷ assessed buyers, per grade
and overall, rounded to 4 decimals (None when nobody was assessed).

Most buyers keep one grade all month: SQL counts them per owner and grade. Buyers
graded, regraded or acquired during the month (a few) are walked through their grade
history in Python. The month's contacts are counted once for both.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, null, union, union_all
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
    session: Session, customer_ids: Any, end: datetime | None
) -> dict[int, list[tuple[datetime | None, str | None]]]:
    """Each buyer's grade changes before ``end`` (None: all): (when, new grade), oldest first.

    ``customer_ids`` is a list of ids or a SQL set of them.
    """
    history: dict[int, list[tuple[datetime | None, str | None]]] = defaultdict(list)
    if isinstance(customer_ids, list):
        chunks = [customer_ids[n : n + ID_CHUNK] for n in range(0, len(customer_ids), ID_CHUNK)]
    else:
        chunks = [customer_ids]
    for chunk in chunks:
        statement = (
            select(GradeChange.customer_id, GradeChange.at, GradeChange.new_grade)
            .where(GradeChange.customer_id.in_(chunk))  # type: ignore[attr-defined]
            .order_by(GradeChange.customer_id, GradeChange.at, GradeChange.id)
        )
        if end is not None:
            statement = statement.where(GradeChange.at < end)
        for customer_id, at, grade in session.connection().execute(statement).all():
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
    """``as_of``, or the month's last judged day if earlier.

    That day can fall in the next month: a week whose Thursday is the month's belongs
    to it even when it ends on the 1st to 3rd of the next.
    """
    last = max(
        after for grade in REQUIRED_CONTACTS for _first, after in grade_windows(grade, year, month)
    )
    return min(as_of, last - timedelta(days=1))


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


class _Edges:
    """Outbound contacts per buyer in every window, from one pass over the month.

    Windows start and end on a few instants (the edges). For each buyer the query
    counts contacts before each inner edge; a window's contacts are the difference of
    the counts at its two edges: one comparison per edge rather than two per window.
    """

    def __init__(self, windows: list[_Window]) -> None:
        self.edges = sorted({w.start for w in windows} | {w.end for w in windows})

    def statement(self) -> Any:
        """Buyer id, contacts in all (``contacts``), contacts before each inner edge."""
        first, *inner, last = self.edges
        return (
            select(
                Message.customer_id,
                func.count().label("contacts"),
                *(
                    func.sum(case((Message.at < edge, 1), else_=0)).label(f"before{n}")
                    for n, edge in enumerate(inner, start=1)
                ),
            )
            .where(
                Message.direction == "out",
                Message.auto.is_(False),  # type: ignore[attr-defined]
                Message.at >= first,
                Message.at < last,
            )
            .group_by(Message.customer_id)
        )

    def columns(self, counts: Any) -> list[Any]:
        """The count columns of ``statement()`` used as a subquery, in order."""
        return [counts.c.contacts, *(counts.c[f"before{n}"] for n in range(1, len(self.edges) - 1))]

    def in_window(self, counts: Any, window: _Window) -> Any:
        """SQL: a buyer's contacts in ``window``, from ``statement()`` used as a subquery."""
        return self._before(counts, window.end) - self._before(counts, window.start)

    def _before(self, counts: Any, edge: datetime) -> Any:
        index = self.edges.index(edge)
        if index == 0:
            return 0
        if index == len(self.edges) - 1:
            return func.coalesce(counts.c.contacts, 0)
        return func.coalesce(counts.c[f"before{index}"], 0)


def _tally(session: Session, *, year: int, month: int, as_of: date, owner_id: int | None) -> _Tally:
    """Judge the month's buyers: most in SQL, the regraded and the new in Python.

    A buyer is judged in a window it was ours for (acquired by its start) and held one
    grade throughout. Buyers acquired before the first window and not regraded since
    held their grade in every window: SQL counts them per owner and grade. Buyers
    regraded or acquired since come back one row each, with their contacts, and are
    walked through their grade history. One statement does both, so the month's
    contacts are counted once.
    """
    tz = business_tz(session)
    windows = _windows(year, month, as_of, tz)
    tally = _Tally()
    if not windows:
        return tally
    edges = _Edges(windows)
    first_start, last_end = edges.edges[0], edges.edges[-1]
    counts = edges.statement().cte("counts")
    regraded = select(GradeChange.customer_id).where(GradeChange.at > first_start)
    # Two index-driven halves rather than one OR that would scan every buyer.
    halves = [
        select(Customer.id).where(
            Customer.id.in_(regraded),  # type: ignore[union-attr]
            Customer.acquired_at < last_end,
        ),
        select(Customer.id).where(
            Customer.acquired_at > first_start,
            Customer.acquired_at < last_end,
            Customer.grade.is_not(None),  # type: ignore[union-attr]
        ),
    ]
    owned = [Customer.owner_id == owner_id] if owner_id is not None else []
    changed = union(*(half.where(*owned) for half in halves))
    walked = (
        select(
            Customer.owner_id,
            Customer.grade,
            Customer.id,
            Customer.acquired_at,
            literal(0),
            literal(0),
            *edges.columns(counts),
        )
        .select_from(Customer)
        .outerjoin(counts, counts.c.customer_id == Customer.id)
        .where(Customer.id.in_(changed))  # type: ignore[union-attr]
    )
    judged = [g for g in REQUIRED_CONTACTS if any(w.grade == g for w in windows)]
    kept = case(
        *(
            (
                and_(
                    Customer.grade == grade,
                    *(edges.in_window(counts, w) >= required for w in windows if w.grade == grade),
                ),
                1,
            )
            for grade, required in REQUIRED_CONTACTS.items()
            if grade in judged
        ),
        else_=0,
    )
    counted = (
        select(
            Customer.owner_id,
            Customer.grade,
            null(),
            null(),
            func.count(),
            func.sum(kept),
            *(null() for _column in edges.columns(counts)),
        )
        .select_from(Customer)
        .outerjoin(counts, counts.c.customer_id == Customer.id)
        .where(
            Customer.grade.in_(judged),  # type: ignore[union-attr]
            Customer.acquired_at <= first_start,
            Customer.id.not_in(regraded),  # type: ignore[union-attr]
            *owned,
        )
        .group_by(Customer.owner_id, Customer.grade)
    )
    rows = []
    for row in session.connection().execute(union_all(walked, counted)):
        owner, grade, customer_id, _acquired, assessed, compliant = row[:6]
        if customer_id is not None:
            rows.append(row)
            continue
        tally.assessed[(owner, grade)] += assessed
        tally.compliant[(owner, grade)] += int(compliant or 0)
        tally.overall[owner][0] += assessed
        tally.overall[owner][1] += int(compliant or 0)
    if rows:
        # A few buyers are looked up by id; many through the set that defines them,
        # which spares the statement thousands of parameters.
        among = [row[2] for row in rows] if len(rows) <= ID_CHUNK else changed
        _walk(tally, rows, windows, edges, grades_between(session, among, None))
    return tally


def _walk(
    tally: _Tally,
    rows: list[Any],
    windows: list[_Window],
    edges: _Edges,
    history: dict[int, list[tuple[datetime | None, str | None]]],
) -> None:
    """Judge buyers regraded or acquired during the month, window by window."""
    # A and B share their weeks: each span is judged once per buyer. Thousands of
    # buyers are walked, so spans and windows are plain tuples looked up by position.
    spans = list({w.label: w for w in windows}.values())
    position = {span.label: n for n, span in enumerate(spans)}
    bounds = [
        (span.start, span.end, edges.edges.index(span.start), edges.edges.index(span.end))
        for span in spans
    ]
    judged = [(w.grade, REQUIRED_CONTACTS[w.grade], position[w.label]) for w in windows]
    for row in rows:
        owner, current, customer_id, acquired = row[:4]
        # Without any recorded change, the grade is held since acquisition.
        changes = history.get(customer_id) or [(None, current)]
        # The grade held throughout each span the buyer was ours for.
        held = [
            _held_throughout(changes, start, end) if acquired <= start else None
            for start, end, _first, _after in bounds
        ]
        # Contacts before each edge; None when the buyer had none in the month.
        values = row[6:]
        before = (0, *values[1:], values[0]) if values[0] is not None else None
        grades: set[str] = set()
        ok = True
        for grade, required, n in judged:
            if held[n] != grade:
                continue
            grades.add(grade)
            first, after = bounds[n][2], bounds[n][3]
            if before is None or before[after] - before[first] < required:
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
