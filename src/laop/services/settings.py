"""Team settings kept in the database (`laop config`), with their defaults and checks."""

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from laop.enums import DEFAULT_TIMEZONE
from laop.errors import InvalidInput, NotFound
from laop.models import Setting, utcnow

__all__ = ["DEFAULTS", "all_settings", "get_float", "get_int", "get_setting", "set_setting"]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone {value!r}; use an IANA name such as Asia/Shanghai."
        ) from None
    return value


def _positive_int(value: str) -> str:
    if not value.strip().isdigit() or int(value) <= 0:
        raise InvalidInput(f"Expected a whole number above 0, got {value!r}.")
    return str(int(value))


def _non_negative_int(value: str) -> str:
    if not value.strip().isdigit():
        raise InvalidInput(f"Expected a whole number, got {value!r}.")
    return str(int(value))


def _positive_hours(value: str) -> str:
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 30:
        raise InvalidInput(f"Expected a number of hours above 0, got {value!r}.")
    return repr(hours).removesuffix(".0") if hours.is_integer() else repr(hours)


def _boolean(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return "true"
    if lowered in ("0", "false", "no", "off"):
        return "false"
    raise InvalidInput(f"Expected true or false, got {value!r}.")


def _holiday_country(value: str) -> str:
    import holidays

    code = value.strip().upper()
    if code not in holidays.list_supported_countries():
        raise InvalidInput(
            f"No public-holiday calendar for {value!r}; give an ISO country code such as CN."
        )
    return code


def _text(value: str) -> str:
    return value.strip()


# Every known key: default value and the check that normalises a new value.
DEFAULTS: dict[str, tuple[str, Callable[[str], str]]] = {
    "timezone": (DEFAULT_TIMEZONE, _zone),
    "platform_timezone": ("America/Los_Angeles", _zone),
    "cadence.A": ("3", _positive_int),
    "cadence.B": ("7", _positive_int),
    "cadence.C": ("15", _positive_int),
    "cadence.D": ("30", _positive_int),
    "sla.inquiry": ("24", _positive_hours),
    "sla.tm": ("1", _positive_hours),
    "sla.fax": ("12", _positive_hours),
    "sla.email": ("24", _positive_hours),
    "sla.default": ("24", _positive_hours),
    "workdays.country": ("CN", _holiday_country),
    "rfq.base": ("20", _non_negative_int),
    "visitor.daily": ("20", _positive_int),
    "digest.warn_hours": ("4", _positive_hours),
    "smtp.host": ("localhost", _text),
    "smtp.port": ("25", _positive_int),
    "smtp.from": ("", _text),
    "smtp.starttls": ("false", _boolean),
    "smtp.user": ("", _text),
}


def _check_key(key: str) -> None:
    if key not in DEFAULTS:
        known = ", ".join(DEFAULTS)
        raise NotFound(f"Unknown setting {key!r}; known settings: {known}.")


def _stored(session: Session) -> dict[str, str]:
    # Read once per session: settings are few and asked for often.
    cache = session.info.get("laop_settings")
    if cache is None:
        cache = {row.key: row.value for row in session.exec(select(Setting))}
        session.info["laop_settings"] = cache
    return cache


def get_setting(session: Session, key: str) -> str:
    """The value of ``key``: stored, or its default."""
    _check_key(key)
    return _stored(session).get(key, DEFAULTS[key][0])


def get_int(session: Session, key: str) -> int:
    """A whole-number setting."""
    return int(get_setting(session, key))


def get_float(session: Session, key: str) -> float:
    """A number setting (e.g. SLA hours)."""
    return float(get_setting(session, key))


def set_setting(session: Session, key: str, value: str) -> str:
    """Check, normalise and store ``value`` for ``key``; return the stored value."""
    _check_key(key)
    clean = DEFAULTS[key][1](value)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=clean))
    else:
        row.value = clean
        row.updated_at = utcnow()
        session.add(row)
    session.flush()
    _stored(session)[key] = clean
    return clean


def all_settings(session: Session) -> list[dict[str, object]]:
    """Every known setting with its value and whether it is the default."""
    stored = _stored(session)
    return [
        {"key": key, "value": stored.get(key, default), "default": key not in stored}
        for key, (default, _check) in DEFAULTS.items()
    ]
