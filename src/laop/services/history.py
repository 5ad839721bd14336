"""A buyer's situation at a glance: grade history, recent contacts, open inquiries."""

from typing import Any

from sqlmodel import Session, select

from laop.enums import OPEN_INQUIRY_STATUSES
from laop.models import Customer, CustomerEvent, GradeChange, Inquiry, Message, User
from laop.services.clock import business_tz, iso_local
from laop.services.customers import customer_views
from laop.services.messages import message_view

__all__ = ["customer_detail"]


def customer_detail(session: Session, customer: Customer, *, messages: int = 10) -> dict[str, Any]:
    """The customer's JSON shape plus its history, newest first."""
    tz = business_tz(session)
    users = {u.id: u.name for u in session.exec(select(User))}
    view = customer_views(session, [customer])[0]
    view["grade_history"] = [
        {
            "at": iso_local(change.at, tz),
            "from": change.old_grade,
            "to": change.new_grade,
            "reason": change.reason,
            "user": users.get(change.user_id) if change.user_id else None,
        }
        for change in session.exec(
            select(GradeChange)
            .where(GradeChange.customer_id == customer.id)
            .order_by(GradeChange.at.desc(), GradeChange.id.desc())  # type: ignore[attr-defined]
        )
    ]
    view["recent_messages"] = [
        message_view(m, tz=tz, users=users)
        for m in session.exec(
            select(Message)
            .where(Message.customer_id == customer.id)
            .order_by(Message.at.desc(), Message.id.desc())  # type: ignore[attr-defined]
            .limit(messages)
        )
    ]
    view["open_inquiries"] = [
        {
            "id": inquiry.id,
            "received_at": iso_local(inquiry.received_at, tz),
            "channel": inquiry.channel,
            "product": inquiry.product,
            "quantity": inquiry.quantity,
            "status": inquiry.status,
        }
        for inquiry in session.exec(
            select(Inquiry)
            .where(
                Inquiry.customer_id == customer.id,
                Inquiry.status.in_(OPEN_INQUIRY_STATUSES),  # type: ignore[attr-defined]
            )
            .order_by(Inquiry.received_at.desc())  # type: ignore[attr-defined]
        )
    ]
    view["events"] = [
        {
            "at": iso_local(event.at, tz),
            "kind": event.kind,
            "detail": {k: v for k, v in event.detail.items() if k != "snapshot"},
            "user": users.get(event.user_id) if event.user_id else None,
        }
        for event in session.exec(
            select(CustomerEvent)
            .where(CustomerEvent.customer_id == customer.id)
            .order_by(CustomerEvent.at.desc(), CustomerEvent.id.desc())  # type: ignore[attr-defined]
        )
    ]
    return view
