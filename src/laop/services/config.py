"""Changing a setting, with the re-derivations that depend on it."""

from sqlmodel import Session, select

from laop.models import Customer
from laop.services.settings import get_setting, set_setting

__all__ = ["change_setting"]


def change_setting(session: Session, key: str, value: str) -> str:
    """Store a setting and re-derive what depends on it (due dates, business days)."""
    before = get_setting(session, key)
    stored = set_setting(session, key, value)
    if stored == before:
        return stored
    if key.startswith("cadence."):
        from laop.services.cadence import refresh_all_due

        refresh_all_due(session, key.removeprefix("cadence."))
    elif key == "timezone" or key.startswith("sla."):
        # Business days move with the zone and deadlines with the SLA: derive every
        # buyer's state and reply clocks again.
        from laop.services.cadence import refresh_followup

        ids = list(session.exec(select(Customer.id)))
        refresh_followup(session, ids)  # type: ignore[arg-type]
    return stored
