"""Cadence compliance's windows and the one statement that tallies them (DOMAIN §4).

Free of the database stack: the console script builds and starts this statement on a
SQLite store while the rest of laop is still loading (``laop.prefetch``), and
``services.compliance`` runs the very same text otherwise. Every value in it is
computed here (instants, grades, an owner id), never typed by a user, so the text
carries them as literals and reads the same on SQLite and PostgreSQL.

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
windows that have ended by ``as_of`` count.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from laop.services.literals import instant_literal

__all__ = [
    "REQUIRED_CONTACTS",
    "Edges",
    "Window",
    "clamp_as_of",
    "grade_windows",
    "history_statement",
    "tally_statement",
    "windows",
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


def clamp_as_of(year: int, month: int, as_of: date) -> date:
    """``as_of``, or the month's last judged day if earlier.

    That day can fall in the next month: a week whose Thursday is the month's belongs
    to it even when it ends on the 1st to 3rd of the next.
    """
    last = max(
        after for grade in REQUIRED_CONTACTS for _first, after in grade_windows(grade, year, month)
    )
    return min(as_of, last - timedelta(days=1))


@dataclass(frozen=True)
class Window:
    label: str  # windows of several grades over the same days share it
    grade: str
    start: datetime  # UTC
    end: datetime


def windows(year: int, month: int, as_of: date, tz: ZoneInfo) -> list[Window]:
    """Every (grade, window) of the month that has ended by ``as_of``."""
    # A and B share their weeks: a span judged for several grades is counted once.
    found, labels = [], {}
    for grade in REQUIRED_CONTACTS:
        for first, after in grade_windows(grade, year, month):
            if after > as_of + timedelta(days=1):
                continue  # the window has not ended yet
            span = (first, after)
            labels.setdefault(span, f"span{len(labels)}")
            found.append(Window(labels[span], grade, _midnight(first, tz), _midnight(after, tz)))
    return found


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which business day ``day`` starts."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


class Edges:
    """Windows start and end on a few instants, the edges.

    For each buyer the statement counts contacts before each inner edge; a window's
    contacts are the difference of the counts at its two edges: one comparison per
    edge rather than two per window.
    """

    def __init__(self, found: list[Window]) -> None:
        self.edges = sorted({w.start for w in found} | {w.end for w in found})

    def column(self, edge: datetime) -> str:
        """SQL: a buyer's contacts before ``edge``, from the ``counts`` CTE."""
        index = self.edges.index(edge)
        if index == 0:
            return "0"
        if index == len(self.edges) - 1:
            return "coalesce(counts.contacts, 0)"
        return f"coalesce(counts.before{index}, 0)"

    @property
    def columns(self) -> list[str]:
        """The CTE's count columns: contacts in all, then before each inner edge."""
        return ["contacts", *(f"before{n}" for n in range(1, len(self.edges) - 1))]


def tally_statement(found: list[Window], *, owner_id: int | None, dialect: str) -> str:
    """The statement judging a month's buyers: most in SQL, the changed ones per row.

    Buyers acquired before the first window and not regraded since held their grade in
    every window: rows with a NULL id give, per owner and grade, how many were assessed
    and how many compliant. Buyers regraded or acquired since come one row each (owner,
    grade, id, acquired_at, 0, 0, then the count columns) to be walked through their
    grade history. One statement does both, so the month's contacts are counted once.
    """
    edges = Edges(found)
    first, *inner, last = (instant_literal(edge) for edge in edges.edges)
    no = "false" if dialect == "postgresql" else "0"
    before = "".join(
        f", sum(CASE WHEN at < {edge} THEN 1 ELSE 0 END) AS before{n}"
        for n, edge in enumerate(inner, start=1)
    )
    counts = (
        f"SELECT customer_id, count(*) AS contacts{before} FROM message"
        f" WHERE direction = 'out' AND auto = {no} AND at >= {first} AND at < {last}"
        " GROUP BY customer_id"
    )
    owned = f" AND owner_id = {int(owner_id)}" if owner_id is not None else ""
    regraded = f"SELECT customer_id FROM grade_change WHERE at > {first}"
    changed = _changed(edges, owner_id)
    count_columns = ", ".join(f"counts.{name}" for name in edges.columns)
    walked = (
        f"SELECT customer.owner_id, customer.grade, customer.id, customer.acquired_at, 0, 0,"
        f" {count_columns} FROM customer"
        " LEFT OUTER JOIN counts ON counts.customer_id = customer.id"
        f" WHERE customer.id IN ({changed})"
    )
    judged = [g for g in REQUIRED_CONTACTS if any(w.grade == g for w in found)]
    kept = " ".join(
        f"WHEN customer.grade = '{grade}'"
        + "".join(
            f" AND {edges.column(w.end)} - {edges.column(w.start)} >= {required}"
            for w in found
            if w.grade == grade
        )
        + " THEN 1"
        for grade, required in REQUIRED_CONTACTS.items()
        if grade in judged
    )
    grades = ", ".join(f"'{grade}'" for grade in judged)
    nulls = ", ".join("NULL" for _name in edges.columns)
    counted = (
        f"SELECT customer.owner_id, customer.grade, NULL, NULL, count(*),"
        f" sum(CASE {kept} ELSE 0 END), {nulls} FROM customer"
        " LEFT OUTER JOIN counts ON counts.customer_id = customer.id"
        f" WHERE customer.grade IN ({grades}) AND customer.acquired_at <= {first}"
        f" AND customer.id NOT IN ({regraded}){owned.replace(' owner_id', ' customer.owner_id')}"
        " GROUP BY customer.owner_id, customer.grade"
    )
    # Sorted by buyer (the tallies first or last): SQLite then computes every row
    # before it returns the first, in one step, which an early read runs while laop
    # loads.
    return f"WITH counts AS ({counts}) {walked} UNION ALL {counted} ORDER BY 3"


def history_statement(found: list[Window], *, owner_id: int | None) -> str:
    """The grade changes of the buyers ``tally_statement`` returns one row each.

    Rows: (buyer id, when, new grade), each buyer's oldest first.
    """
    changed = _changed(Edges(found), owner_id)
    return (
        "SELECT customer_id, at, new_grade FROM grade_change"
        f" WHERE customer_id IN ({changed}) ORDER BY customer_id, at, id"
    )


def _changed(edges: Edges, owner_id: int | None) -> str:
    """SQL: the buyers graded, regraded or acquired since the first window began."""
    first, last = instant_literal(edges.edges[0]), instant_literal(edges.edges[-1])
    owned = f" AND owner_id = {int(owner_id)}" if owner_id is not None else ""
    regraded = f"SELECT customer_id FROM grade_change WHERE at > {first}"
    # Two index-driven halves rather than one OR that would scan every buyer.
    return (
        f"SELECT id FROM customer WHERE id IN ({regraded}) AND acquired_at < {last}{owned}"
        " UNION SELECT id FROM customer"
        f" WHERE acquired_at > {first} AND acquired_at < {last} AND grade IS NOT NULL{owned}"
    )
