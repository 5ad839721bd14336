"""The manager's monthly A-grade list (DOMAIN §4)."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, func, select

from laop.enums import OPEN_INQUIRY_STATUSES
from laop.models import Customer, GradeChange, Inquiry, Message, User
from laop.services.clock import business_tz, iso_local, month_bounds, today

__all__ = ["a_list"]


def a_list(
    session: Session, *, year: int, month: int, owner: User | None, recent: int = 3
) -> dict[str, Any]:
    """Every buyer graded A at the end of the month (or now, for the current month).

    Each with its owner, contacts in the month, last contacts and open inquiries.
    A whole team's list holds thousands of buyers: it is read as plain rows, a few
    queries per 500 buyers, and each buyer's grade at the month's end is found in SQL.
    """
    tz = business_tz(session)
    start, end = month_bounds(year, month, tz)
    current = today(tz)
    is_current = (current.year, current.month) == (year, month)
    statement = select(
        Customer.id,
        Customer.company,
        Customer.contact,
        Customer.country,
        Customer.owner_id,
        Customer.last_contact_at,
        Customer.last_out_at,
        Customer.due_on,
        Customer.awaiting_since,
    )
    if owner is not None:
        statement = statement.where(Customer.owner_id == owner.id)
    if is_current:
        statement = statement.where(Customer.grade == "A")
    else:
        statement = statement.where(Customer.acquired_at < end, _graded_a_at(end))
    connection = session.connection()
    customers = connection.execute(statement).all()
    ids = [c.id for c in customers]
    owners = {u.id: u.name for u in session.exec(select(User))}
    month_counts: dict[int, dict[str, int]] = defaultdict(lambda: {"in": 0, "out": 0})
    recent_messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    open_inquiries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        for customer_id, direction, count in connection.execute(
            select(Message.customer_id, Message.direction, func.count())
            .where(
                Message.customer_id.in_(chunk),  # type: ignore[attr-defined]
                Message.auto.is_(False),  # type: ignore[attr-defined]
                Message.at >= start,
                Message.at < end,
            )
            .group_by(Message.customer_id, Message.direction)
        ):
            month_counts[customer_id][direction] = count
        for customer_id, at, direction, channel, kind, note in connection.execute(
            _recent_messages(chunk, end, recent)
        ):
            recent_messages[customer_id].append(
                {
                    "at": iso_local(at, tz),
                    "direction": direction,
                    "channel": channel,
                    "kind": kind,
                    "note": note,
                }
            )
        for customer_id, inquiry_id, received_at, product, quantity, status in connection.execute(
            select(
                Inquiry.customer_id,
                Inquiry.id,
                Inquiry.received_at,
                Inquiry.product,
                Inquiry.quantity,
                Inquiry.status,
            )
            .where(
                Inquiry.customer_id.in_(chunk),  # type: ignore[attr-defined]
                Inquiry.status.in_(OPEN_INQUIRY_STATUSES),  # type: ignore[attr-defined]
            )
            .order_by(Inquiry.received_at.desc())  # type: ignore[attr-defined]
        ):
            open_inquiries[customer_id].append(
                {
                    "id": inquiry_id,
                    "received_at": iso_local(received_at, tz),
                    "product": product,
                    "quantity": quantity,
                    "status": status,
                }
            )
    rows = [
        {
            "customer_id": c.id,
            "company": c.company,
            "contact": c.contact,
            "country": c.country,
            "owner": owners.get(c.owner_id),
            "last_contact_at": iso_local(c.last_contact_at, tz),
            "last_out_at": iso_local(c.last_out_at, tz),
            "due_on": c.due_on.isoformat() if c.due_on else None,
            "awaiting_reply": c.awaiting_since is not None,
            "contacts_in_month": dict(month_counts[c.id]),
            "recent_messages": recent_messages[c.id],
            "open_inquiries": open_inquiries[c.id],
        }
        for c in sorted(customers, key=lambda c: (owners.get(c.owner_id) or "", c.company or ""))
    ]
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).isoformat()
    return {
        "month": f"{year:04d}-{month:02d}",
        "as_of": min(current.isoformat(), last_day),
        "customers": rows,
    }


def _graded_a_at(end: datetime) -> Any:
    """SQL: the buyer held grade A at ``end``.

    Its last grade change before ``end`` made it A; or it never changed grade and is A
    (graded so since acquisition). A buyer first graded after ``end`` held no grade.
    """
    last_change = (
        select(GradeChange.new_grade)
        .where(GradeChange.customer_id == Customer.id, GradeChange.at < end)
        .order_by(GradeChange.at.desc(), GradeChange.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    changed = exists().where(GradeChange.customer_id == Customer.id)
    return or_(and_(~changed, Customer.grade == "A"), last_change == "A")


def _recent_messages(ids: list[int], end: datetime, recent: int) -> Any:
    """SQL: each buyer's ``recent`` newest messages before ``end``, newest first."""
    newest_first = (
        func.row_number()
        .over(
            partition_by=Message.customer_id,
            order_by=(Message.at.desc(), Message.id.desc()),  # type: ignore[attr-defined,union-attr]
        )
        .label("n")
    )
    ranked = (
        select(
            Message.customer_id,
            Message.at,
            Message.direction,
            Message.channel,
            Message.kind,
            Message.note,
            newest_first,
        )
        .where(Message.customer_id.in_(ids), Message.at < end)  # type: ignore[attr-defined]
        .subquery()
    )
    return (
        select(
            ranked.c.customer_id,
            ranked.c.at,
            ranked.c.direction,
            ranked.c.channel,
            ranked.c.kind,
            ranked.c.note,
        )
        .where(ranked.c.n <= recent)
        .order_by(ranked.c.customer_id, ranked.c.n)
    )
