"""Reply clocks (DOMAIN §5): how fast we answer, defined in exactly one place.

A clock opens with a buyer's first inbound message of a business day; further inbound
messages that day join it while it is open (a message after the day's clock was
answered opens a new one, so a second question is not lost). The first outbound,
non-automatic message at or after its opening closes it — one reply closes every open
clock of that buyer. Marking an inquiry spam closes the clock holding its message at
that moment. Automatic messages neither open nor close clocks.

Each clock has the SLA of the channel that opened it (settings ``sla.<channel>``,
``sla.default`` otherwise, in hours). It is timely when closed by its deadline and
same-day when closed on the business day it opened. The derivation reads only the log,
so messages logged out of order give the same clocks.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from laop.models import Inquiry, Message, ReplyClock
from laop.services.clock import business_day
from laop.services.settings import get_float

__all__ = [
    "SLA_CHANNELS",
    "Clock",
    "LogEntry",
    "derive_clocks",
    "rebuild_clocks",
    "sla_hours",
]

SLA_CHANNELS = ("inquiry", "tm", "fax", "email")


@dataclass(frozen=True)
class LogEntry:
    """What the derivation needs of a message."""

    id: int
    at: datetime
    direction: str
    channel: str
    auto: bool


@dataclass
class Clock:
    opened_at: datetime
    opened_day: date
    channel: str
    first_message_id: int
    deadline: datetime
    message_ids: list[int] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def reply_seconds(self) -> int | None:
        if self.closed_at is None:
            return None
        return int((self.closed_at - self.opened_at).total_seconds())


def sla_hours(session: Session) -> Callable[[str], float]:
    """The SLA in hours for a channel that opens a clock."""
    table = {channel: get_float(session, f"sla.{channel}") for channel in SLA_CHANNELS}
    default = get_float(session, "sla.default")
    return lambda channel: table.get(channel, default)


def derive_clocks(
    log: Iterable[LogEntry],
    *,
    tz: ZoneInfo,
    sla: Callable[[str], float],
    spam: dict[int, datetime] | None = None,
) -> list[Clock]:
    """The reply clocks of one buyer from its message log (any order).

    ``spam`` maps a message id to the moment its inquiry was marked spam.
    """
    # At the same instant a buyer's message opens a clock before our reply closes it,
    # and a spam mark comes last.
    events: list[tuple[datetime, int, int, LogEntry | None]] = []
    entries = {entry.id: entry for entry in log}
    for entry in entries.values():
        if not entry.auto:
            events.append((entry.at, 0 if entry.direction == "in" else 1, entry.id, entry))
    for message_id, marked_at in (spam or {}).items():
        if message_id in entries:
            events.append((max(marked_at, entries[message_id].at), 2, message_id, None))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    clocks: list[Clock] = []
    open_clocks: list[Clock] = []
    holder: dict[int, Clock] = {}
    for moment, order, message_id, entry in events:
        if order == 0 and entry is not None:
            day = business_day(moment, tz)
            current = next((c for c in open_clocks if c.opened_day == day), None)
            if current is None:
                current = Clock(
                    opened_at=moment,
                    opened_day=day,
                    channel=entry.channel,
                    first_message_id=entry.id,
                    deadline=moment + timedelta(hours=sla(entry.channel)),
                )
                clocks.append(current)
                open_clocks.append(current)
            current.message_ids.append(entry.id)
            holder[entry.id] = current
        elif order == 1:
            for clock in open_clocks:
                clock.closed_at, clock.closed_by = moment, "reply"
            open_clocks = []
        else:
            clock = holder.get(message_id)
            if clock is not None and clock.closed_at is None:
                clock.closed_at, clock.closed_by = moment, "spam"
                open_clocks.remove(clock)
    return clocks


def rebuild_clocks(
    session: Session,
    *,
    logs: dict[int, list[LogEntry]],
    owners: dict[int, int | None],
    tz: ZoneInfo,
) -> dict[int, list[Clock]]:
    """Replace the stored clocks of the given buyers; returns them by buyer.

    A clock that existed before keeps the owner it was opened under.
    """
    ids = list(logs)
    sla = sla_hours(session)
    spam: dict[int, datetime] = {}
    previous_owner: dict[tuple[int, datetime], int | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for message_id, closed_at in session.exec(
            select(Inquiry.message_id, Inquiry.closed_at).where(
                Inquiry.customer_id.in_(chunk),  # type: ignore[attr-defined]
                Inquiry.status == "spam",
                Inquiry.message_id.is_not(None),  # type: ignore[union-attr]
            )
        ):
            if closed_at is not None:
                spam[message_id] = closed_at  # type: ignore[index]
        for customer_id, opened_at, owner_id in session.exec(
            select(ReplyClock.customer_id, ReplyClock.opened_at, ReplyClock.owner_id).where(
                ReplyClock.customer_id.in_(chunk)  # type: ignore[attr-defined]
            )
        ):
            previous_owner[(customer_id, opened_at)] = owner_id
        session.execute(delete(ReplyClock).where(ReplyClock.customer_id.in_(chunk)))  # type: ignore[attr-defined]
    derived: dict[int, list[Clock]] = {}
    rows: list[dict[str, Any]] = []
    for customer_id, log in logs.items():
        clocks = derive_clocks(log, tz=tz, sla=sla, spam=spam)
        derived[customer_id] = clocks
        for clock in clocks:
            closed = clock.closed_at
            rows.append(
                {
                    "customer_id": customer_id,
                    "owner_id": previous_owner.get(
                        (customer_id, clock.opened_at), owners.get(customer_id)
                    ),
                    "first_message_id": clock.first_message_id,
                    "channel": clock.channel,
                    "opened_at": clock.opened_at,
                    "opened_day": clock.opened_day,
                    "deadline": clock.deadline,
                    "closed_at": closed,
                    "closed_by": clock.closed_by,
                    "reply_seconds": clock.reply_seconds,
                    "timely": None if closed is None else closed <= clock.deadline,
                    "same_day": None
                    if closed is None
                    else business_day(closed, tz) == clock.opened_day,
                }
            )
    if rows:
        session.execute(insert(ReplyClock), rows)
    return derived


def log_entries(session: Session, customer_ids: list[int]) -> dict[int, list[LogEntry]]:
    """Every buyer's message log, for the derivations."""
    logs: dict[int, list[LogEntry]] = {cid: [] for cid in customer_ids}
    for customer_id, message_id, at, direction, channel, auto in session.exec(
        select(
            Message.customer_id,
            Message.id,
            Message.at,
            Message.direction,
            Message.channel,
            Message.auto,
        )
        .where(Message.customer_id.in_(customer_ids))  # type: ignore[attr-defined]
        .order_by(Message.customer_id, Message.at, Message.id)
    ):
        logs[customer_id].append(LogEntry(message_id, at, direction, channel, bool(auto)))
    return logs
