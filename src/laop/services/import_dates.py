"""A created buyer's stored dates, worked out with its sheet row (ImportStore.preparer).

What ImportStore.create and the buyer's row need of a buyer a row creates, from the
row's grade, acquisition date (or the import's start) and last follow-up: its
acquisition, the grade change's time, the follow-up's time, the last outbound day and
the due day, each as the driver is given it — the follow-up state
cadence.followup_state derives from that one outbound message. Worked out where the
row is cleaned (the cleaning processes of a large import), a chunk's rows at a time
(``many``) when the rows are cleaned a column at a time.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from operator import add, attrgetter, methodcaller, sub
from typing import Any
from zoneinfo import ZoneInfo

from laop.services.clock import business_day

__all__ = ["Preparer"]

Prepared = tuple[Any, ...] | None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_TZINFO = attrgetter("tzinfo")
_ISO = methodcaller("isoformat", " ", "microseconds")  # SQLAlchemy's SQLite text
_UNKNOWN = object()


class Preparer:
    """``prepare(grade, acquired, last_contact)`` of a sheet row; None for a grade
    the cadence does not know (followup_state's way of failing, left to the store)."""

    def __init__(
        self,
        *,
        tz: ZoneInfo,
        intervals: dict[str, int],
        convert: Callable[[datetime], Any],
        day: Callable[[date | None], Any],
        now: datetime,
        sqlite: bool,
    ) -> None:
        """``convert``/``day``: an instant's and a day's bound value (import_store's
        converters); ``sqlite``: they are its SQLite ones (text), else PostgreSQL's."""
        self.tz = tz
        self.steps = {grade: timedelta(days=days) for grade, days in intervals.items()}
        self.convert, self.day, self.now = convert, day, now
        self.sqlite = sqlite
        # A day's bound value, by day: a sheet's follow-ups fall on a few hundred days.
        self._days: dict[date | None, Any] = {}

    def __call__(
        self, grade: str | None, acquired: datetime | None, last_contact: datetime | None
    ) -> Prepared:
        steps, convert, day = self.steps, self.convert, self.day
        if grade and grade not in steps:
            return None
        acquired = acquired or self.now
        if last_contact is None:
            text = convert(acquired)
            due = business_day(acquired, self.tz) if grade else None
            return text, text, None, None, day(due)
        last_day = business_day(last_contact, self.tz)
        due = day(last_day + steps[grade]) if grade else None
        text = convert(acquired)
        # Converted once when the acquisition is the earlier (a sheet's usual order).
        first = text if acquired <= last_contact else convert(last_contact)
        return first, text, convert(last_contact), day(last_day), due

    def many(
        self,
        grades: Sequence[str | None],
        firsts: Sequence[datetime | None],
        lasts: Sequence[datetime | None],
    ) -> list[Prepared]:
        """What calling this gives for each row, the conversions done a column at a time."""
        now = self.now
        acquired = [now if first is None else first for first in firsts]
        known = [last for last in lasts if last is not None]
        if None in set(map(_TZINFO, acquired)) or None in set(map(_TZINFO, known)):
            # A naive instant (not from a sheet's cleaner): one row at a time.
            return list(map(self, grades, firsts, lasts))
        acquired_texts = self._instants(acquired)
        last_texts = iter(self._instants(known))
        last_days = iter(map(methodcaller("date"), map(methodcaller("astimezone", self.tz), known)))
        steps, tz, day = self.steps, self.tz, self._day
        found: list[Prepared] = []
        for grade, moment, last, text in zip(grades, acquired, lasts, acquired_texts, strict=True):
            if last is not None:
                last_text, last_day = next(last_texts), next(last_days)
            if grade and grade not in steps:
                found.append(None)
            elif last is None:
                due = business_day(moment, tz) if grade else None
                found.append((text, text, None, None, day(due)))
            else:
                due = day(last_day + steps[grade] if grade else None)
                first = text if moment <= last else last_text
                found.append((first, text, last_text, day(last_day), due))
        return found

    def _day(self, value: date | None) -> Any:
        found = self._days.get(value, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._days[value] = self.day(value)
        return found

    def _instants(self, values: list[datetime]) -> list[Any]:
        """``convert`` of each aware instant, in C: naive UTC, as text on SQLite."""
        naive = map(add, repeat(_NAIVE_EPOCH), map(sub, values, repeat(_EPOCH)))
        return list(map(_ISO, naive) if self.sqlite else naive)
