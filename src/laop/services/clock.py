"""Time in the business time zone: parsing WHEN, business days, and months."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from laop.errors import InvalidInput
from laop.models import utcnow
from laop.services.settings import get_setting

__all__ = [
    "business_day",
    "business_tz",
    "day_bounds",
    "iso_local",
    "month_bounds",
    "parse_date",
    "parse_month",
    "parse_when",
    "to_local",
    "today",
]

# A timestamp this far ahead of now is almost always a typo (wrong year or month).
FUTURE_TOLERANCE = timedelta(days=1)


def business_tz(session: Session) -> ZoneInfo:
    """The business time zone (setting ``timezone``)."""
    return ZoneInfo(get_setting(session, "timezone"))


def to_local(moment: datetime, tz: ZoneInfo) -> datetime:
    """An aware instant in ``tz``; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def iso_local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 text of an instant in ``tz``, to the second (None stays None)."""
    if not moment:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Lists call this per row: no helper call, and positional arguments (isoformat
    # parses keywords slowly).
    return moment.astimezone(tz).isoformat("T", "seconds")


def business_day(moment: datetime, tz: ZoneInfo) -> date:
    """The business-day date of an instant."""
    return to_local(moment, tz).date()


def today(tz: ZoneInfo) -> date:
    """Today's date in ``tz``."""
    return utcnow().astimezone(tz).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which business day ``day`` starts and the next one starts."""
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


def parse_when(value: str | None, tz: ZoneInfo, *, allow_future: bool = False) -> datetime:
    """Parse an ISO 8601 instant (or a date) given by the user; None means now.

    Without an offset the value is read in the business time zone. More than a day
    in the future is refused as a likely typo unless ``allow_future``.
    """
    # Whole seconds: nobody logs a call to the microsecond, and JSON stays readable.
    now = utcnow().replace(microsecond=0)
    if value is None:
        return now
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise InvalidInput(
            f"Cannot read the time {value!r}; use ISO 8601 such as 2026-10-05 or "
            "2026-10-05T14:30 (business time) or 2026-10-05T06:30Z."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    moment = parsed.astimezone(UTC)
    if not allow_future and moment > now + FUTURE_TOLERANCE:
        raise InvalidInput(f"The time {value!r} is more than a day in the future; check the date.")
    return moment


def parse_date(value: str) -> date:
    """Parse a YYYY-MM-DD date given by the user."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"Cannot read the date {value!r}; use YYYY-MM-DD.") from None


def parse_month(value: str | None, tz: ZoneInfo) -> tuple[int, int]:
    """Parse YYYY-MM; None means the current business month."""
    if value is None:
        current = today(tz)
        return current.year, current.month
    try:
        year_text, month_text = value.strip().split("-")
        year, month = int(year_text), int(month_text)
        date(year, month, 1)
    except ValueError:
        raise InvalidInput(f"Cannot read the month {value!r}; use YYYY-MM.") from None
    return year, month


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a business month starts and the next one starts."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return day_bounds(first, tz)[0], day_bounds(following, tz)[0]
