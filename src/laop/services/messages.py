"""The message log: every contact with a buyer, in either direction."""

from datetime import datetime

from sqlmodel import Session, select

from laop.enums import Channel, Direction, MessageKind, parse_enum
from laop.models import Customer, Message, User

__all__ = ["lock_customer", "log_message", "message_view"]


def lock_customer(session: Session, customer: Customer) -> None:
    """Hold the buyer's row until the transaction ends.

    Two salespeople logging messages for one buyer at once would each derive the
    follow-up state without the other's message; the row lock makes the second
    wait and then see the first. SQLite already serialises writers.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.exec(select(Customer.id).where(Customer.id == customer.id).with_for_update())


def log_message(
    session: Session,
    customer: Customer,
    *,
    direction: str,
    channel: str,
    actor: User,
    at: datetime,
    kind: str | None = None,
    auto: bool = False,
    note: str | None = None,
    refresh: bool = True,
) -> Message:
    """Record one message and re-derive the buyer's follow-up state.

    ``at`` may lie in the past (a backfilled message): the state is derived from the
    whole log, so the order of logging does not matter.
    """
    lock_customer(session, customer)
    message = Message(
        customer_id=customer.id,
        direction=parse_enum(Direction, direction, what="direction").value,
        channel=parse_enum(Channel, channel, what="channel").value,
        kind=parse_enum(MessageKind, kind, what="message kind").value if kind else "other",
        auto=auto,
        note=(note or "").strip() or None,
        user_id=actor.id,
        at=at,
    )
    session.add(message)
    if at < customer.acquired_at:
        # Acquisition is the first contact, also when that contact is backfilled.
        customer.acquired_at = at
        session.add(customer)
    session.flush()
    if refresh:
        from laop.services.cadence import refresh_followup

        refresh_followup(session, [customer.id])
    return message


def message_view(message: Message, *, tz, users: dict[int, str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The JSON shape of a message."""
    from laop.services.clock import iso_local

    return {
        "id": message.id,
        "customer_id": message.customer_id,
        "at": iso_local(message.at, tz),
        "direction": message.direction,
        "channel": message.channel,
        "kind": message.kind,
        "auto": message.auto,
        "note": message.note,
        "user": users.get(message.user_id) if message.user_id else None,
    }
