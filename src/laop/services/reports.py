"""The manager's monthly A-grade list (DOMAIN §4)."""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, func, select

from laop.enums import OPEN_INQUIRY_STATUSES
from laop.models import Customer, Inquiry, Message, User
from laop.services.clock import business_tz, iso_local, month_bounds, today
from laop.services.compliance import grades_between

__all__ = ["a_list"]


def a_list(
    session: Session, *, year: int, month: int, owner: User | None, recent: int = 3
) -> dict[str, Any]:
    """Every buyer graded A at the end of the month (or now, for the current month).

    Each with its owner, contacts in the month, last contacts and open inquiries.
    """
    tz = business_tz(session)
    start, end = month_bounds(year, month, tz)
    current = today(tz)
    is_current = (current.year, current.month) == (year, month)
    statement = select(Customer)
    if owner is not None:
        statement = statement.where(Customer.owner_id == owner.id)
    if is_current:
        customers = list(session.exec(statement.where(Customer.grade == "A")))
    else:
        candidates = list(session.exec(statement.where(Customer.acquired_at < end)))
        history = grades_between(session, [c.id for c in candidates], None)  # type: ignore[misc]

        def grade_then(customer: Customer) -> str | None:
            changes = history.get(customer.id)  # type: ignore[arg-type]
            if not changes:  # never regraded: graded so since acquisition
                return customer.grade
            before = [grade for at, grade in changes if at is not None and at < end]
            return before[-1] if before else None  # first graded after the month

        customers = [c for c in candidates if grade_then(c) == "A"]
    ids = [c.id for c in customers]
    owners = {u.id: u.name for u in session.exec(select(User))}
    month_counts: dict[int, dict[str, int]] = defaultdict(lambda: {"in": 0, "out": 0})
    recent_messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    open_inquiries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        for customer_id, direction, count in session.exec(
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
        for message in session.exec(
            select(Message)
            .where(Message.customer_id.in_(chunk), Message.at < end)  # type: ignore[attr-defined]
            .order_by(Message.customer_id, Message.at.desc())  # type: ignore[attr-defined]
        ):
            mine = recent_messages[message.customer_id]
            if len(mine) < recent:
                mine.append(
                    {
                        "at": iso_local(message.at, tz),
                        "direction": message.direction,
                        "channel": message.channel,
                        "kind": message.kind,
                        "note": message.note,
                    }
                )
        for inquiry in session.exec(
            select(Inquiry)
            .where(
                Inquiry.customer_id.in_(chunk),  # type: ignore[attr-defined]
                Inquiry.status.in_(OPEN_INQUIRY_STATUSES),  # type: ignore[attr-defined]
            )
            .order_by(Inquiry.received_at.desc())  # type: ignore[attr-defined]
        ):
            open_inquiries[inquiry.customer_id].append(
                {
                    "id": inquiry.id,
                    "received_at": iso_local(inquiry.received_at, tz),
                    "product": inquiry.product,
                    "quantity": inquiry.quantity,
                    "status": inquiry.status,
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
