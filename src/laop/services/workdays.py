"""A country's days off in a year, from the holidays library, kept in a cache file.

Building one country's calendar makes the holidays library import every country it
knows: about 0.2 s, more than the rest of `laop digest` on a small store. A year's days
off change only when that library does, so they are written once to the user's cache
folder, stamped with the installed library's identity, and read back from there. A
missing, stale, unreadable or unwritable cache only means the calendar is built again.
"""

import json
import os
import tempfile
from datetime import date, timedelta
from importlib.util import find_spec
from pathlib import Path

__all__ = ["cache_folder", "days_off"]

_memo: dict[tuple[str, int], frozenset[date]] = {}


def cache_folder() -> Path:
    """Where the calendars are kept (the user's cache folder)."""
    from platformdirs import user_cache_path

    return user_cache_path("laop", appauthor=False) / "workdays"


def days_off(country: str, year: int) -> frozenset[date]:
    """Weekends and public holidays of ``country`` in ``year``, less make-up working days."""
    key = (country, year)
    if key not in _memo:
        _memo[key] = _cached(country, year)
    return _memo[key]


def _library_stamp() -> str:
    """Identifies the installed holidays library without importing it."""
    spec = find_spec("holidays")
    origin = Path(spec.origin) if spec and spec.origin else None
    if origin is None:
        return ""
    version_file = origin.with_name("version.py")
    stat = (version_file if version_file.exists() else origin).stat()
    return f"{origin.parent}:{stat.st_size}:{stat.st_mtime_ns}"


def _cached(country: str, year: int) -> frozenset[date]:
    stamp = _library_stamp()
    path = cache_folder() / f"{country}-{year}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["library"] == stamp and stored["country"] == country:
            return frozenset(date.fromisoformat(day) for day in stored["off"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent, damaged or from another library: build it again
    off = _build(country, year)
    _store(path, {"library": stamp, "country": country, "year": year, "off": sorted(off)})
    return frozenset(date.fromisoformat(day) for day in off)


def _build(country: str, year: int) -> list[str]:
    import holidays

    calendar = holidays.country_holidays(country, years=year)
    first, following = date(year, 1, 1), date(year + 1, 1, 1)
    days = (first + timedelta(days=n) for n in range((following - first).days))
    return [day.isoformat() for day in days if not calendar.is_working_day(day)]


def _store(path: Path, content: dict[str, object]) -> None:
    """Write the file whole or not at all; a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
