"""Proactive marketing (DOMAIN §6): activity counts, targets, quotas.

- Products published (发品), RFQ quotes, visitor-marketing sends (访客营销) and hours
  online are counted per user per day. Visitor marketing counts on the platform's day
  (``platform_timezone``); the rest on the business day.
- The monthly publishing target is split evenly over the month's salespeople and its
  working days (weekends and public holidays of ``workdays.country`` are off, make-up
  working days are on); a week's share is its working days' share.
- The RFQ quota is company-wide: ``rfq.base`` plus the month's bonus; unused quotes
  lapse at month end.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from laop.errors import InvalidInput
from laop.models import ActivityCount, MonthlyTarget, User, as_decimal, utcnow
from laop.services.clock import business_tz, today
from laop.services.settings import get_int, get_setting
from laop.services.workdays import days_off

__all__ = [
    "KINDS",
    "add_activity",
    "month_days",
    "publish_shares",
    "publish_target",
    "quota_status",
    "rfq_quota",
    "set_target",
    "working_days",
]

KINDS = ("publish", "rfq", "visitor", "online")
TARGET_KINDS = ("publish", "rfq-bonus")
RFQ_WARNING_DAYS = 3


def month_days(year: int, month: int) -> list[date]:
    """Every date of a month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def working_days(session: Session, year: int, month: int) -> list[date]:
    """The month's working days in the country of ``workdays.country``."""
    off = days_off(get_setting(session, "workdays.country"), year)
    return [day for day in month_days(year, month) if day not in off]


def _day_for(session: Session, kind: str) -> date:
    zone = get_setting(session, "platform_timezone") if kind == "visitor" else None
    return today(ZoneInfo(zone)) if zone else today(business_tz(session))


def add_activity(
    session: Session, *, user: User, kind: str, amount: str, day: date | None = None
) -> tuple[ActivityCount, str | None]:
    """Record an activity count; returns it and a warning when the daily cap is exceeded."""
    clean = kind.strip().lower()
    if clean not in KINDS:
        raise InvalidInput(f"Unknown activity {kind!r}; use one of: {', '.join(KINDS)}.")
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise InvalidInput(f"The amount {amount!r} is not a number.") from None
    if clean == "online":
        if not value.is_finite() or not 0 < value <= 24:
            raise InvalidInput(f"Online hours must be above 0 and at most 24, got {amount!r}.")
    elif not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise InvalidInput(f"A {clean} count is a whole number above 0, got {amount!r}.")
    on = day or _day_for(session, clean)
    if on > _day_for(session, clean) + timedelta(days=1):
        raise InvalidInput(f"The day {on.isoformat()} is in the future; check the date.")
    row = ActivityCount(user_id=user.id, kind=clean, day=on, amount=value)
    session.add(row)
    session.flush()
    warning = None
    if clean == "visitor":
        cap = get_int(session, "visitor.daily")
        sent = _sum(session, kind="visitor", start=on, end=on, user_id=user.id)
        if sent > cap:
            warning = (
                f"{user.name} has now sent {sent:g} visitor-marketing messages on "
                f"{on.isoformat()}, above the daily cap of {cap}; stored anyway."
            )
    return row, warning


def _sum(
    session: Session, *, kind: str, start: date, end: date, user_id: int | None = None
) -> Decimal:
    statement = select(func.sum(ActivityCount.amount)).where(
        ActivityCount.kind == kind, ActivityCount.day >= start, ActivityCount.day <= end
    )
    if user_id is not None:
        statement = statement.where(ActivityCount.user_id == user_id)
    return as_decimal(session.exec(statement).one())


def _sums_by_user(session: Session, *, kind: str, start: date, end: date) -> dict[int, Decimal]:
    return {
        user_id: as_decimal(total)
        for user_id, total in session.exec(
            select(ActivityCount.user_id, func.sum(ActivityCount.amount))
            .where(ActivityCount.kind == kind, ActivityCount.day >= start, ActivityCount.day <= end)
            .group_by(ActivityCount.user_id)
        )
    }


def set_target(session: Session, *, kind: str, month: str, value: int) -> MonthlyTarget:
    """Set a month's publishing target or RFQ bonus quota."""
    from laop.services.clock import parse_month

    clean = kind.strip().lower()
    if clean not in TARGET_KINDS:
        raise InvalidInput(f"Unknown target {kind!r}; use one of: {', '.join(TARGET_KINDS)}.")
    if value < 0:
        raise InvalidInput(f"A target is a whole number of at least 0, got {value}.")
    year, number = parse_month(month, business_tz(session))
    key = f"{year:04d}-{number:02d}"
    row = session.get(MonthlyTarget, (key, clean))
    if row is None:
        row = MonthlyTarget(month=key, kind=clean, value=value)
    else:
        row.value, row.updated_at = value, utcnow()
    session.add(row)
    session.flush()
    return row


def _target(session: Session, kind: str, year: int, month: int) -> int:
    row = session.get(MonthlyTarget, (f"{year:04d}-{month:02d}", kind))
    return row.value if row else 0


def rfq_quota(session: Session, year: int, month: int) -> int:
    """The company's RFQ quota for a month: base plus that month's bonus."""
    return get_int(session, "rfq.base") + _target(session, "rfq-bonus", year, month)


def sales_users(session: Session) -> list[User]:
    """Users with role sales: those a publishing target is split over."""
    return list(session.exec(select(User).where(User.role == "sales").order_by(User.name)))


def publish_target(session: Session, year: int, month: int) -> tuple[int, float]:
    """The month's publishing target and each salesperson's share of it."""
    target = _target(session, "publish", year, month)
    people = len(sales_users(session))
    return target, round(target / people, 2) if people else 0.0


def publish_shares(session: Session, year: int, month: int) -> dict[str, Any]:
    """The month's publishing target and each salesperson's share (month, per working day)."""
    target = _target(session, "publish", year, month)
    people = sales_users(session)
    # The holiday calendar is costly to build: only a target to split needs it.
    days = working_days(session, year, month) if target and people else []
    per_person = target / len(people) if people else 0.0
    return {
        "target": target,
        "people": len(people),
        "working_days": len(days) if days else None,  # not counted without a target
        "per_person": round(per_person, 2),
        "per_person_per_day": round(per_person / len(days), 2) if days else 0.0,
        "days": days,
    }


def quota_status(session: Session, *, on: date | None = None) -> dict[str, Any]:
    """RFQ quota use, visitor marketing left today, publishing against target."""
    day = on or today(business_tz(session))
    platform_day = on or today(ZoneInfo(get_setting(session, "platform_timezone")))
    year, month = day.year, day.month
    days = month_days(year, month)
    first, last = days[0], days[-1]
    quota = rfq_quota(session, year, month)
    used = _sum(session, kind="rfq", start=first, end=last)
    left = max(quota - int(used), 0)
    fifteenth = date(year, month, 15)
    to_15th = (fifteenth - day).days if day <= fifteenth else None
    to_end = (last - day).days
    warnings = []
    if left and (
        (to_15th is not None and to_15th <= RFQ_WARNING_DAYS) or to_end <= RFQ_WARNING_DAYS
    ):
        deadline = (
            "the 15th" if to_15th is not None and to_15th <= RFQ_WARNING_DAYS else "month end"
        )
        warnings.append(
            f"{left} RFQ quotes left and {deadline} is near; use them before they lapse."
        )
    cap = get_int(session, "visitor.daily")
    sent_today = _sums_by_user(session, kind="visitor", start=platform_day, end=platform_day)
    shares = publish_shares(session, year, month)
    working = shares["days"]
    monday = day - timedelta(days=day.weekday())
    week_days = [d for d in working if monday <= d <= monday + timedelta(days=6)]
    published_month = _sums_by_user(session, kind="publish", start=first, end=last)
    published_week = _sums_by_user(
        session, kind="publish", start=max(monday, first), end=min(monday + timedelta(days=6), last)
    )
    published_day = _sums_by_user(session, kind="publish", start=day, end=day)
    daily = shares["per_person_per_day"]
    users = []
    for user in sales_users(session):
        sent = int(sent_today.get(user.id, 0))  # type: ignore[arg-type]
        users.append(
            {
                "user": user.name,
                "visitor_sent_today": sent,
                "visitor_left_today": max(cap - sent, 0),
                "publish": {
                    "day": {
                        "done": int(published_day.get(user.id, 0)),
                        "target": daily if day in working else 0.0,
                    },  # type: ignore[arg-type]
                    "week": {
                        "done": int(published_week.get(user.id, 0)),
                        "target": round(daily * len(week_days), 2),
                    },  # type: ignore[arg-type]
                    "month": {
                        "done": int(published_month.get(user.id, 0)),
                        "target": shares["per_person"],
                    },  # type: ignore[arg-type]
                },
            }
        )
    return {
        "date": day.isoformat(),
        "platform_date": platform_day.isoformat(),
        "rfq": {
            "quota": quota,
            "used": int(used),
            "left": left,
            "days_to_15th": to_15th,
            "days_to_month_end": to_end,
        },
        "visitor_daily_cap": cap,
        "publish_target": shares["target"],
        "working_days": shares["working_days"],
        "users": users,
        "warnings": warnings,
    }
