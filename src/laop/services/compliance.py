"""Cadence compliance (DOMAIN §4): did each graded buyer get its follow-ups?

The windows and the statement that counts contacts in them are in
``services.compliance_query``. A buyer is judged in a window it was ours for (acquired
by its start) and held one grade throughout. A buyer is compliant when every window it
was assessed in had at least the required number of outbound, non-automatic contacts;
compliance is compliant buyers ÷ assessed buyers, per grade and overall, rounded to 4
decimals (None when nobody was assessed).

Most buyers keep one grade all month: SQL counts them per owner and grade. Buyers
graded, regraded or acquired during the month (a few) are walked through their grade
history in Python. The month's contacts are counted once for both.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from laop import prefetch
from laop.models import User, stored_instant
from laop.services.clock import business_tz, today
from laop.services.compliance_query import (
    REQUIRED_CONTACTS,
    Edges,
    Window,
    clamp_as_of,
    grade_windows,
    history_statement,
    tally_statement,
    windows,
)

__all__ = [
    "REQUIRED_CONTACTS",
    "cadence_compliance",
    "compliance_by_owner",
    "grade_windows",
]


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
    as_of = clamp_as_of(year, month, as_of or today(tz))
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
    as_of = clamp_as_of(year, month, as_of or today(tz))
    tally = _tally(session, year=year, month=month, as_of=as_of, owner_id=None)
    per_owner = {owner_id: _summary(tally, owners={owner_id}) for owner_id in tally.overall}
    return per_owner, _summary(tally, owners=None)


def _tally(session: Session, *, year: int, month: int, as_of: date, owner_id: int | None) -> _Tally:
    """Judge the month's buyers: most in SQL, the regraded and the new in Python.

    Buyers acquired before the first window and not regraded since held their grade in
    every window: SQL counts them per owner and grade. Buyers regraded or acquired
    since come back one row each, with their contacts, and are walked through their
    grade history.
    """
    found = windows(year, month, as_of, business_tz(session))
    tally = _Tally()
    if not found:
        return tally
    connection = session.connection()
    statement = tally_statement(found, owner_id=owner_id, dialect=connection.dialect.name)
    # The console script may have run this very statement while it started.
    rows = prefetch.take(connection, statement)
    if rows is None:
        rows = connection.exec_driver_sql(statement).all()
    walked = []
    for row in rows:
        owner, grade, customer_id, _acquired, assessed, compliant = row[:6]
        if customer_id is not None:
            walked.append(row)
            continue
        tally.assessed[(owner, grade)] += assessed
        tally.compliant[(owner, grade)] += int(compliant or 0)
        tally.overall[owner][0] += assessed
        tally.overall[owner][1] += int(compliant or 0)
    if walked:
        _walk(tally, walked, found, Edges(found), _histories(connection, found, owner_id))
    return tally


def _histories(
    connection: Any, found: list[Window], owner_id: int | None
) -> dict[int, list[tuple[datetime | None, str | None]]]:
    """The grade changes of the buyers walked: (when, new grade), oldest first."""
    statement = history_statement(found, owner_id=owner_id)
    rows = prefetch.take(connection, statement)
    if rows is None:
        rows = connection.exec_driver_sql(statement).all()
    history: dict[int, list[tuple[datetime | None, str | None]]] = defaultdict(list)
    for customer_id, at, grade in rows:
        history[customer_id].append((stored_instant(at), grade))
    return history


def _walk(
    tally: _Tally,
    rows: list[Any],
    found: list[Window],
    edges: Edges,
    history: dict[int, list[tuple[datetime | None, str | None]]],
) -> None:
    """Judge buyers regraded or acquired during the month, window by window."""
    # A and B share their weeks: each span is judged once per buyer. Thousands of
    # buyers are walked, so spans and windows are plain tuples looked up by position.
    spans = list({w.label: w for w in found}.values())
    position = {span.label: n for n, span in enumerate(spans)}
    bounds = [
        (span.start, span.end, edges.edges.index(span.start), edges.edges.index(span.end))
        for span in spans
    ]
    judged = [(w.grade, REQUIRED_CONTACTS[w.grade], position[w.label]) for w in found]
    for row in rows:
        owner, current, customer_id = row[:3]
        acquired = stored_instant(row[3])
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
