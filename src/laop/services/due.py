"""The morning list (`laop due`): who awaits our reply, who is due, in what order.

Order: buyers awaiting our reply first, longest waiting first; then buyers due on or
before the day asked about, most urgent first, where

    urgency = (days overdue + 1) × grade weight      (A 4, B 3, C 2, D 1, ungraded 3)

so a day-old A follow-up (urgency 8) outranks a B due today (3) and a C two days late
(6), and any overdue buyer outranks one of the same grade due later. Ungraded buyers
with an open inquiry weigh like B: grading them is the first step after receipt.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from laop import prefetch
from laop.enums import OPEN_INQUIRY_STATUSES, Grade, parse_enum
from laop.errors import InvalidInput
from laop.models import Inquiry, User, stored_instant
from laop.services.clock import business_day, business_tz, day_bounds, iso_local, parse_date, today
from laop.services.due_query import due_statement

__all__ = ["GRADE_WEIGHT", "DueList", "DueQuery", "due_list", "resolve_when", "suggested_channel"]

GRADE_WEIGHT: dict[str | None, int] = {"A": 4, "B": 3, "C": 2, "D": 1, None: 3}


@dataclass(frozen=True)
class DueQuery:
    """What `laop due WHEN` asks for: everything due on or before ``as_of``.

    ``overdue_only`` keeps buyers whose due day is before ``reference``;
    ``reference`` is the day days-overdue are counted from.
    """

    as_of: date
    reference: date
    overdue_only: bool = False


def resolve_when(session: Session, when: str) -> DueQuery:
    """Turn today|tomorrow|week|overdue|YYYY-MM-DD into a DueQuery."""
    now = today(business_tz(session))
    word = when.strip().lower()
    if word == "today":
        return DueQuery(as_of=now, reference=now)
    if word == "tomorrow":
        return DueQuery(as_of=now + timedelta(days=1), reference=now)
    if word == "week":
        return DueQuery(as_of=now + timedelta(days=6), reference=now)
    if word == "overdue":
        return DueQuery(as_of=now, reference=now, overdue_only=True)
    try:
        day = parse_date(word)
    except InvalidInput:
        raise InvalidInput(
            f"Cannot read {when!r}; use today, tomorrow, week, overdue or a date YYYY-MM-DD."
        ) from None
    return DueQuery(as_of=day, reference=day)


def suggested_channel(*, grade: str | None, awaiting: bool, last_in_channel: str | None) -> str:
    """How to reach the buyer (DOMAIN §4).

    A reply goes back where the buyer wrote; a fax is answered by fax; an A buyer gets
    a phone call; otherwise the channel the buyer last used (e-mail when unknown).
    """
    if awaiting and last_in_channel:
        return last_in_channel
    if last_in_channel == "fax":
        return "fax"
    if grade == "A":
        return "phone"
    return last_in_channel or "email"


@dataclass
class DueList:
    """The due list in order: awaiting our reply, then follow-ups by urgency.

    ``rows`` holds every row, or with a ``limit`` only the first of each section;
    the totals count them all.
    """

    rows: list[dict[str, Any]]
    awaiting: int
    follow_up: int


def due_list(
    session: Session,
    query: DueQuery,
    *,
    owner: User | None,
    grade: str | None = None,
    limit: int | None = None,
    follow_up_only: bool = False,
) -> DueList:
    """Awaiting and due buyers for ``owner`` (None: everyone), most urgent first.

    Rows are ordered on a key computed from the raw columns; only the rows returned
    (the first ``limit`` of each section, or all) are formatted. ``follow_up_only``
    leaves out the buyers awaiting our reply (the digest lists their reply clocks).
    """
    tz = business_tz(session)
    _start, as_of_end = day_bounds(query.as_of, tz)
    connection = session.connection()
    statement = due_statement(
        as_of=query.as_of,
        as_of_end=as_of_end,
        owner_id=owner.id if owner is not None else None,
        grade=parse_enum(Grade, grade, what="grade").value if grade else None,
        follow_up_only=follow_up_only,
        with_product=limit is None,  # every row is shown: its product comes with it
    )
    # The console script may have run this very statement while it started.
    rows = prefetch.take(connection, statement)
    if rows is None:
        rows = connection.exec_driver_sql(statement).all()
    # Raw rows, unpacked by position: thousands are read, and typed results or the
    # ORM's bookkeeping per row would cost more than the query. Days come back as
    # text from SQLite; only the rows shown have their instants converted.
    day_of = _day_of(connection.dialect.name)
    waiting: list[tuple[Any, ...]] = []
    follow: list[tuple[Any, ...]] = []
    reference, weights, overdue_only = query.reference, GRADE_WEIGHT, query.overdue_only
    for row in rows:
        customer_id, grade_held, waiting_since, due_on = row[0], row[4], row[6], row[7]
        # Awaiting as of the day: the clock opened before the day's end (business time).
        if row[11]:
            waiting.append((waiting_since, customer_id, row))
            continue
        overdue = (reference - day_of(due_on)).days
        if overdue_only and overdue <= 0:
            continue
        follow.append((-(max(overdue, -1) + 1) * weights[grade_held], due_on, customer_id, row))
    waiting.sort(key=_first_three)
    follow.sort(key=_first_three)
    shown = [r[-1] for r in waiting[:limit]] + [r[-1] for r in follow[:limit]]
    if limit is None:
        products = {r[0]: r[12] for r in shown if r[12] is not None}
    else:
        products = _open_inquiry_products(session, [r[0] for r in shown])
    owners = {u.id: u.name for u in session.exec(select(User))}
    return DueList(
        [_row(r, reference, tz, owners, products, day_of) for r in shown],
        awaiting=len(waiting),
        follow_up=len(follow),
    )


def _day_of(dialect: str) -> Any:
    """How to read a stored day: SQLite returns its text, PostgreSQL a date."""
    return date.fromisoformat if dialect == "sqlite" else _same


def _same(value: Any) -> Any:
    return value


def _first_three(item: tuple[Any, ...]) -> tuple[Any, ...]:
    return item[:3]


def _row(
    row: Any,
    reference: date,
    tz: Any,
    owners: dict[int, str],
    products: dict[int, str],
    day_of: Any,
) -> dict[str, Any]:
    (
        customer_id,
        company,
        contact,
        country,
        grade,
        owner_id,
        waiting_since,
        due_on,
        last_contact_at,
        last_out_at,
        last_in_channel,
        awaiting,
    ) = row[:12]
    awaiting = bool(awaiting)
    last_contact = iso_local(stored_instant(last_contact_at), tz)
    # A buyer not awaiting us was last contacted by us, mostly: the same instant, once.
    if last_out_at == last_contact_at:
        last_out = last_contact
    else:
        last_out = iso_local(stored_instant(last_out_at), tz)
    if awaiting:
        waiting_since = stored_instant(waiting_since)
        overdue = (reference - business_day(waiting_since, tz)).days
    else:
        due_on = day_of(due_on)
        overdue = (reference - due_on).days
    return {
        "customer_id": customer_id,
        "company": company,
        "contact": contact,
        "country": country,
        "grade": grade,
        "owner": owners.get(owner_id),
        "awaiting_reply": awaiting,
        "awaiting_since": iso_local(waiting_since, tz) if awaiting else None,
        "due_on": None if awaiting else due_on.isoformat(),
        "days_overdue": max(overdue, 0) if awaiting else overdue,
        "urgency": 0 if awaiting else (max(overdue, -1) + 1) * GRADE_WEIGHT[grade],
        "needs_grade": grade is None,
        "last_contact_at": last_contact,
        "last_out_at": last_out,
        "suggested_channel": suggested_channel(
            grade=grade, awaiting=awaiting, last_in_channel=last_in_channel
        ),
        "open_inquiry_product": products.get(customer_id),
    }


def _open_product_filter() -> list[Any]:
    """An open inquiry that names a product (as the due statement's product column)."""
    return [
        Inquiry.status.in_(OPEN_INQUIRY_STATUSES),  # type: ignore[attr-defined]
        Inquiry.product.is_not(None),  # type: ignore[union-attr]
    ]


def _open_inquiry_products(session: Session, ids: list[int]) -> dict[int, str]:
    """The product of the newest open inquiry that names one, for a page of buyers.

    One query for the page's ids, never one per buyer.
    """
    if not ids:
        return {}
    # Oldest first: the newest of each buyer is written last.
    statement = (
        select(Inquiry.customer_id, Inquiry.product)
        .where(Inquiry.customer_id.in_(ids), *_open_product_filter())  # type: ignore[attr-defined]
        .order_by(Inquiry.received_at, Inquiry.id)  # type: ignore[arg-type]
    )
    return dict(session.connection().execute(statement).all())
