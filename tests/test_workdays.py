"""The cached holiday calendar: the library's answer, kept and read back safely."""

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from laop.services import workdays


@pytest.fixture(autouse=True)
def forget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test starts from the cache folder alone, not from this process's memo.
    monkeypatch.setattr(workdays, "_memo", {})


def library_days_off(country: str, year: int) -> set[date]:
    calendar = holidays.country_holidays(country, years=year)
    first = date(year, 1, 1)
    days = (first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days))
    return {day for day in days if not calendar.is_working_day(day)}


def cache_file(country: str, year: int) -> Path:
    return workdays.cache_folder() / f"{country}-{year}.json"


@pytest.mark.parametrize(("country", "year"), [("CN", 2026), ("CN", 2025), ("US", 2026)])
def test_days_off_match_the_library_built_and_cached(country: str, year: int) -> None:
    expected = library_days_off(country, year)
    assert workdays.days_off(country, year) == expected
    assert cache_file(country, year).exists()
    workdays._memo.clear()
    assert workdays.days_off(country, year) == expected  # read back from the file


def test_china_make_up_days_and_golden_week() -> None:
    off = workdays.days_off("CN", 2026)
    assert date(2026, 10, 1) in off  # National Day
    assert date(2026, 10, 7) in off
    assert date(2026, 11, 2) not in off  # an ordinary Monday
    assert date(2026, 11, 7) in off  # an ordinary Saturday
    # A make-up working day falls on a weekend yet is not a day off.
    calendar = holidays.country_holidays("CN", years=2026)
    make_up = [d for d in calendar.weekend_workdays if d.year == 2026]
    assert make_up, "the library lists China's make-up working days"
    assert all(d.weekday() >= 5 and d not in off for d in make_up)


def test_a_damaged_or_foreign_cache_file_is_rebuilt() -> None:
    expected = workdays.days_off("CN", 2026)
    path = cache_file("CN", 2026)
    path.write_text("{not json", encoding="utf-8")
    workdays._memo.clear()
    assert workdays.days_off("CN", 2026) == expected
    assert json.loads(path.read_text(encoding="utf-8"))["off"]  # rewritten whole

    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["library"] = "another-version"
    stored["off"] = ["2026-11-02"]  # what an older library might have said
    path.write_text(json.dumps(stored), encoding="utf-8")
    workdays._memo.clear()
    assert workdays.days_off("CN", 2026) == expected


def test_an_unwritable_cache_folder_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file where the folder should be cannot be written into, even by root.
    blocker = tmp_path / "blocked"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert workdays.days_off("CN", 2026) == library_days_off("CN", 2026)
    assert not cache_file("CN", 2026).exists()
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".tmp"]  # nothing left behind


def test_a_cached_calendar_does_not_import_the_library() -> None:
    workdays.days_off("CN", 2026)
    script = (
        "import sys\n"
        "from laop.services.workdays import days_off\n"
        "assert len(days_off('CN', 2026)) > 100\n"
        "print('holidays' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
