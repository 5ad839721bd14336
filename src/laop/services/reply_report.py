"""Reply KPIs for a month and the list of clocks still open (DOMAIN §5).

Aggregated in SQL over ``reply_clock`` (indexed by owner and opening time); the
clocks themselves are derived in services/replies.py.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_
from sqlmodel import Session, func, select

from laop.models import Customer, Inquiry, ReplyClock, User, utcnow
from laop.services.clock import business_tz, iso_local, month_bounds

__all__ = ["BUCKETS", "open_clocks", "reply_stats"]

# Alibaba's reply-time distribution, upper bounds in hours; the last bin is "> 24 h".
BUCKETS = (1, 2, 4, 8, 12, 24)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def reply_stats(
    session: Session,
    *,
    year: int,
    month: int,
    owner: User | None = None,
    now: datetime | None = None,
    distribution: bool = True,
) -> dict[str, Any]:
    """Timely reply rate, same-day rate, average reply time and distribution.

    Per user (by the owner each clock was opened under) and for the team. A clock
    counts in the month it opened; one still open counts as not timely once its
    deadline has passed and is left out while its deadline is ahead. Without
    ``distribution`` (the KPIs need none) the buckets are not counted and stay empty.
    """
    tz = business_tz(session)
    start, end = month_bounds(year, month, tz)
    now = now or utcnow()
    closed = ReplyClock.closed_at.is_not(None)  # type: ignore[union-attr]
    counted = or_(closed, ReplyClock.deadline < now)
    seconds = ReplyClock.reply_seconds
    columns = [
        func.count(),
        func.sum(case((ReplyClock.timely.is_(True), 1), else_=0)),  # type: ignore[attr-defined]
        func.sum(case((ReplyClock.same_day.is_(True), 1), else_=0)),  # type: ignore[attr-defined]
        func.sum(case((closed, 1), else_=0)),
        func.sum(seconds),
    ]
    if distribution:
        lower = 0
        for upper in BUCKETS:
            columns.append(
                func.sum(case((and_(seconds > lower * 3600, seconds <= upper * 3600), 1), else_=0))
            )
            lower = upper
        columns.append(func.sum(case((seconds > lower * 3600, 1), else_=0)))
    where = [ReplyClock.opened_at >= start, ReplyClock.opened_at < end, counted]
    if owner is not None:
        where.append(ReplyClock.owner_id == owner.id)
    names = {u.id: u.name for u in session.exec(select(User))}
    grouped = {
        owner_id: [int(value or 0) for value in row]
        for owner_id, *row in session.exec(
            select(ReplyClock.owner_id, *columns).where(*where).group_by(ReplyClock.owner_id)
        )
    }
    per_user = {owner_id: _figures(row) for owner_id, row in grouped.items()}
    # The team's figures come from the summed counts, never from averaged rates.
    team = _figures(
        [sum(column) for column in zip(*grouped.values(), strict=True)] or [0] * len(columns)
    )
    users = [
        {"user": names.get(owner_id) if owner_id else None, **figures}
        for owner_id, figures in sorted(per_user.items(), key=lambda kv: names.get(kv[0]) or "")
    ]
    return {"month": f"{year:04d}-{month:02d}", "users": users, "team": team}


def _figures(row: Any) -> dict[str, Any]:
    clocks, timely, same_day, closed, total_seconds, *bins = (int(v or 0) for v in row)
    labels = [f"≤{hours}h" for hours in BUCKETS] + [f">{BUCKETS[-1]}h"]
    return {
        "clocks": clocks,
        "timely": timely,
        "timely_reply_rate": _rate(timely, clocks),
        "same_day_rate": _rate(same_day, clocks),
        "avg_reply_hours": round(total_seconds / closed / 3600, 2) if closed else None,
        "distribution": [
            {"bucket": label, "count": count} for label, count in zip(labels, bins, strict=True)
        ]
        if bins
        else [],
    }


def open_clocks(
    session: Session,
    *,
    owner: User | None,
    breached_only: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Clocks still waiting for our reply, newest breach risk first.

    Clocks that can still be answered in time come first, the nearest deadline first;
    then breached clocks, the most recently breached first.
    """
    tz = business_tz(session)
    now = now or utcnow()
    statement = (
        select(
            ReplyClock.customer_id,
            ReplyClock.channel,
            ReplyClock.opened_at,
            ReplyClock.deadline,
            Customer.company,
            Customer.contact,
            Customer.owner_id,
            Inquiry.id,
        )
        .join(Customer, Customer.id == ReplyClock.customer_id)
        .outerjoin(Inquiry, Inquiry.message_id == ReplyClock.first_message_id)
        .where(ReplyClock.closed_at.is_(None))  # type: ignore[union-attr]
        .order_by(ReplyClock.deadline, ReplyClock.id)
    )
    if owner is not None:
        statement = statement.where(Customer.owner_id == owner.id)
    if breached_only:
        statement = statement.where(ReplyClock.deadline < now)
    names = {u.id: u.name for u in session.exec(select(User))}
    # Core rows by position: a team's open clocks number in the thousands.
    rows = session.connection().execute(statement).all()
    rows.sort(key=lambda r: (r[3] < now, abs((r[3] - now).total_seconds())))
    return [
        {
            "customer_id": cid,
            "company": company,
            "contact": contact,
            "owner": names.get(owner_id),
            "channel": channel,
            "inquiry_id": inquiry,
            "opened_at": iso_local(opened_at, tz),
            "sla_deadline": iso_local(deadline, tz),
            "breached": deadline < now,
            "hours_left": round((deadline - now).total_seconds() / 3600, 2),
        }
        for cid, channel, opened_at, deadline, company, contact, owner_id, inquiry in rows
    ]
