"""Inquiries after intake: listing the open ones, marking spam."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from laop.enums import OPEN_INQUIRY_STATUSES
from laop.errors import ConflictError, NotFound
from laop.models import Customer, Inquiry, User, utcnow
from laop.services.cadence import refresh_followup
from laop.services.clock import business_tz, iso_local

__all__ = ["list_open_inquiries", "mark_spam"]


def mark_spam(session: Session, inquiry_id: int, *, at: datetime | None = None) -> Inquiry:
    """Mark an inquiry spam/invalid; its reply clock closes as handled at that moment."""
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound(f"No inquiry with id {inquiry_id}.")
    if inquiry.status == "spam":
        raise ConflictError(f"Inquiry {inquiry_id} is already marked spam.")
    inquiry.status = "spam"
    inquiry.closed_at = at or utcnow().replace(microsecond=0)
    session.add(inquiry)
    session.flush()
    refresh_followup(session, [inquiry.customer_id])
    return inquiry


def list_open_inquiries(session: Session, *, owner: User | None) -> list[dict[str, Any]]:
    """Open inquiries (not ordered, lost or spam), newest first."""
    tz = business_tz(session)
    statement = (
        select(
            Inquiry, Customer.company, Customer.contact, Customer.owner_id, Customer.awaiting_since
        )
        .join(Customer, Customer.id == Inquiry.customer_id)
        .where(Inquiry.status.in_(OPEN_INQUIRY_STATUSES))  # type: ignore[attr-defined]
        .order_by(Inquiry.received_at.desc(), Inquiry.id.desc())  # type: ignore[attr-defined]
    )
    if owner is not None:
        statement = statement.where(Customer.owner_id == owner.id)
    names = {u.id: u.name for u in session.exec(select(User))}
    return [
        {
            "inquiry_id": inquiry.id,
            "customer_id": inquiry.customer_id,
            "company": company,
            "contact": contact,
            "owner": names.get(owner_id),
            "channel": inquiry.channel,
            "product": inquiry.product,
            "quantity": inquiry.quantity,
            "status": inquiry.status,
            "received_at": iso_local(inquiry.received_at, tz),
            "awaiting_reply": awaiting is not None,
        }
        for inquiry, company, contact, owner_id, awaiting in session.exec(statement)
    ]
