"""Grades and the follow-up cadence (DOMAIN §4): who is due, and who awaits our reply.

Each buyer's follow-up state (last outbound contact, awaiting-reply flag, next due
date) is derived from the message log and the grade, and stored on the customer row
so that the due list is one indexed query. ``followup_state`` is the one place that
derives it; everything that changes its inputs calls ``refresh_followup``, which reads
the log and stores the result (an import derives the buyers it creates itself, before
writing them).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import literal_column, update
from sqlmodel import Session, func, select

from laop.enums import OPEN_INQUIRY_STATUSES, Grade, parse_enum
from laop.models import Customer, GradeChange, Inquiry, User, utcnow
from laop.services.clock import business_day, business_tz
from laop.services.settings import get_int

if TYPE_CHECKING:
    from laop.services.replies import Clock, LogEntry

__all__ = [
    "OPEN_INQUIRY_STATUSES",
    "cadence_days",
    "followup_state",
    "refresh_all_due",
    "refresh_followup",
    "set_grade",
]


def cadence_days(session: Session) -> dict[str, int]:
    """Follow-up interval in days for each grade (settings cadence.A … cadence.D)."""
    return {grade.value: get_int(session, f"cadence.{grade.value}") for grade in Grade}


def set_grade(
    session: Session,
    customer: Customer,
    *,
    grade: str,
    actor: User,
    reason: str | None = None,
    at: datetime | None = None,
) -> GradeChange | None:
    """Grade a buyer, keeping the change in its history; None when unchanged."""
    from laop.services.messages import lock_customer

    new = parse_enum(Grade, grade, what="grade").value
    lock_customer(session, customer)
    if new == customer.grade:
        return None
    change = GradeChange(
        customer_id=customer.id,
        old_grade=customer.grade,
        new_grade=new,
        reason=(reason or "").strip() or None,
        user_id=actor.id,
        at=at or utcnow(),
    )
    customer.grade = new
    customer.updated_at = utcnow()
    session.add(change)
    session.add(customer)
    session.flush()
    refresh_followup(session, [customer.id])
    return change


def refresh_followup(session: Session, customer_ids: list[int]) -> None:
    """Re-derive the follow-up state and reply clocks of the given buyers from their log.

    The state is followup_state's; messages logged out of order give the same result:
    only the log is read.
    """
    from laop.services.replies import log_entries, rebuild_clocks

    if not customer_ids:
        return
    session.flush()
    tz = business_tz(session)
    intervals = cadence_days(session)
    for start in range(0, len(customer_ids), 500):
        chunk = customer_ids[start : start + 500]
        first_open = dict(
            session.exec(
                select(Inquiry.customer_id, func.min(Inquiry.received_at))
                .where(
                    Inquiry.customer_id.in_(chunk),  # type: ignore[attr-defined]
                    Inquiry.status.in_(OPEN_INQUIRY_STATUSES),  # type: ignore[attr-defined]
                )
                .group_by(Inquiry.customer_id)
            ).all()
        )
        customers = session.exec(
            select(Customer.id, Customer.grade, Customer.acquired_at, Customer.owner_id).where(
                Customer.id.in_(chunk)  # type: ignore[union-attr]
            )
        ).all()
        logs = log_entries(session, [row[0] for row in customers])  # type: ignore[misc]
        clocks = rebuild_clocks(
            session,
            logs=logs,
            owners={row[0]: row[3] for row in customers},
            tz=tz,  # type: ignore[misc]
        )
        changes = []
        for customer_id, grade, acquired_at, _owner in customers:
            state = followup_state(
                logs[customer_id],
                clocks=clocks[customer_id],
                grade=grade,
                acquired_at=acquired_at,
                first_open=first_open.get(customer_id),
                tz=tz,
                intervals=intervals,
            )
            state["id"] = customer_id
            changes.append(state)
        if changes:
            # One executemany per chunk; buyers already loaded in the session are
            # expired so that they read the new state.
            session.execute(update(Customer), changes)
            wanted = set(chunk)
            for obj in list(session.identity_map.values()):
                if isinstance(obj, Customer) and obj.id in wanted:
                    session.expire(obj)


def followup_state(
    log: Sequence["LogEntry"],
    *,
    clocks: Sequence["Clock"],
    grade: str | None,
    acquired_at: datetime,
    first_open: datetime | None,
    tz: ZoneInfo,
    intervals: dict[str, int],
) -> dict[str, Any]:
    """A buyer's follow-up state (the customer columns) from its log and reply clocks.

    - last contact: the latest non-automatic message either way;
    - last outbound: the latest outbound non-automatic message, and its business day;
    - awaiting reply since: the opening of the oldest reply clock still open
      (services/replies.py);
    - due on: last outbound day + the grade's interval; a graded buyer we never wrote
      to is due on its acquisition day; an ungraded buyer with an open inquiry
      (``first_open``: when the oldest open one arrived) is due on that day (to be
      graded); otherwise not due.
    Pure, so that an import can derive the state of the buyers it creates before
    writing them; refresh_followup derives every other buyer's with it.
    """
    manual = [m for m in log if not m.auto]
    outbound = [m.at for m in manual if m.direction == "out"]
    inbound = [m for m in manual if m.direction == "in"]
    last_out = max(outbound) if outbound else None
    last_out_day = business_day(last_out, tz) if last_out else None
    waiting = [c.opened_at for c in clocks if c.closed_at is None]
    if grade is None:
        due_on = business_day(first_open, tz) if first_open else None
    elif last_out_day is None:
        due_on = business_day(acquired_at, tz)
    else:
        due_on = last_out_day + timedelta(days=intervals[grade])
    return {
        "last_contact_at": max(m.at for m in manual) if manual else None,
        "last_out_at": last_out,
        "last_out_day": last_out_day,
        "last_in_channel": inbound[-1].channel if inbound else None,
        "awaiting_since": min(waiting) if waiting else None,
        "due_on": due_on,
    }


def refresh_all_due(session: Session, grade: str | None = None) -> int:
    """Re-derive due dates after a cadence setting changed, in one UPDATE per grade."""
    intervals = cadence_days(session)
    grades = [grade] if grade else list(intervals)
    total = 0
    dialect = session.get_bind().dialect.name
    for g in grades:
        days = intervals[g]
        if dialect == "sqlite":
            shifted = func.date(Customer.last_out_day, f"+{days} days")
        else:
            shifted = Customer.last_out_day + literal_column(f"{int(days)}")  # type: ignore[operator]
        result = session.execute(
            update(Customer)
            .where(Customer.grade == g, Customer.last_out_day.is_not(None))  # type: ignore[union-attr]
            .values(due_on=shifted)
        )
        total += result.rowcount or 0
    session.flush()
    return total
