"""Reply KPIs for a month and the list of clocks still open (DOMAIN §5).

Aggregated in SQL over ``reply_clock`` (indexed by owner and opening time); the
clocks themselves are derived in services/replies.py.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_
from sqlmodel import Session, func, select

from laop import prefetch
from laop.models import ReplyClock, User, utcnow
from laop.models.base import stored_instant
from laop.services.clock import business_tz, iso_local, month_bounds
from laop.services.due_query import open_clocks_statement

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
    statement = open_clocks_statement(
        owner_id=owner.id if owner is not None else None,
        breached_by=now if breached_only else None,
    )
    names = {u.id: u.name for u in session.exec(select(User))}
    connection = session.connection()
    # Raw rows by position (a team's open clocks number in the thousands); the console
    # script may have read them while it started.
    rows = prefetch.take(connection, statement)
    if rows is None:
        rows = connection.exec_driver_sql(statement).all()
    timed = [(stored_instant(row[3]), row) for row in rows]
    # Clocks due at the same instant stay in the order they were opened (by id).
    timed.sort(key=lambda item: (item[0] < now, abs((item[0] - now).total_seconds())))
    return [
        {
            "customer_id": cid,
            "company": company,
            "contact": contact,
            "owner": names.get(owner_id),
            "channel": channel,
            "inquiry_id": inquiry,
            "opened_at": iso_local(stored_instant(opened_at), tz),
            "sla_deadline": iso_local(deadline, tz),
            "breached": deadline < now,
            "hours_left": round((deadline - now).total_seconds() / 3600, 2),
        }
        for deadline, (cid, channel, opened_at, _, company, contact, owner_id, inquiry) in timed
    ]
