"""One sheet row → one cleaned buyer (or the reason it cannot be imported).

The row's cells are gathered by the field their column maps to. Several columns for one
field are allowed: e-mails, phones and products are pooled; for a single-valued field
the first value wins and a different later one goes to the notes; of several dates the
earliest is the acquisition date and the latest the last follow-up. A column that maps
to nothing is kept in the notes as a "Header: value" line, so no cell is lost.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from laop.errors import InvalidInput
from laop.services.customers import CleanCustomer
from laop.services.normalize import (
    company_key,
    normalize_country,
    normalize_email,
    normalize_phone,
    person_key,
    split_multi,
)
from laop.services.sheet import Column, cell_text
from laop.services.sheet_values import (
    is_placeholder,
    parse_grade,
    parse_nature,
    parse_sheet_date,
    parse_source,
    split_products,
)

__all__ = ["CleanRow", "RowCleaner", "fast_email"]

# Column widths of the store (models.py); longer values are refused, not cut.
MAX_LENGTH = {"company": 300, "contact": 200, "city": 120, "strength": 200, "products": 200}
FUTURE_TOLERANCE = timedelta(days=1)
SINGLE = frozenset(
    ("company", "contact", "country", "city", "nature", "source", "strength", "grade", "owner")
)

# Plain ASCII addresses that email_validator would accept unchanged but for case: checked
# here in a microsecond instead of 60 (tests compare both on generated addresses).
_SIMPLE_EMAIL = re.compile(
    r"[a-z0-9](?:[a-z0-9_+%-]|\.(?!\.))*(?<!\.)@"
    r"(?:(?!xn--)(?![a-z0-9-]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?!(?:arpa|invalid|local|localhost|onion|test)$)[a-z]{2,63}"
)


def fast_email(value: str) -> str:
    """normalize_email, with a fast path for the plain addresses most sheets hold."""
    text = value.strip().lower()
    local, _, _ = text.partition("@")
    if len(text) <= 254 and len(local) <= 64 and _SIMPLE_EMAIL.fullmatch(text):
        return text
    return normalize_email(value)


@dataclass
class CleanRow:
    """A row ready to match: the buyer's fields plus what only a sheet gives."""

    data: CleanCustomer
    company_key: str
    contact_key: str
    grade: str | None
    owner_id: int | None
    acquired: datetime | None  # UTC
    last_contact: datetime | None  # UTC


class RowCleaner:
    """Cleans rows of one sheet; caches what repeats (countries, owners, vocabularies)."""

    def __init__(
        self,
        columns: list[Column],
        *,
        users: dict[str, int],
        tz: ZoneInfo,
        now: datetime,
    ) -> None:
        # (index, field, label) of the columns worth reading, left to right.
        self.columns = [
            (c.index, c.field, c.label)
            for c in sorted(columns, key=lambda c: c.index)
            if c.field != "ignore"
        ]
        self.users = users  # folded name or sub-account → user id
        self.tz = tz
        self.latest = now + FUTURE_TOLERANCE
        self._cache: dict[tuple[str, str], Any] = {}

    def clean(self, cells: list[Any]) -> CleanRow | None:
        """The row's buyer; None for a blank row. Raises InvalidInput for a bad value."""
        values: dict[str, list[tuple[str, Any, str]]] = {}  # field → (label, cell, text)
        extra: list[str] = []
        width = len(cells)
        for index, name, label in self.columns:
            if index >= width:
                break
            raw = cells[index]
            text = raw.strip() if type(raw) is str else cell_text(raw)
            if not text:
                continue
            if name is None:
                extra.append(f"{label}: {text}")
            elif name == "notes" or not is_placeholder(text):
                values.setdefault(name, []).append((label, raw, text))
        if not values and not extra:
            return None
        single: dict[str, str] = {}
        for name, found in values.items():
            if name in SINGLE:
                single[name] = found[0][2]
                extra.extend(f"{label}: {t}" for label, _r, t in found[1:] if t != found[0][2])
            limit = MAX_LENGTH.get(name)
            if limit:
                texts = [t for _l, _r, t in found]
                if name == "products":
                    texts = [p for t in texts for p in split_products(t)]
                if any(len(t) > limit for t in texts):
                    raise InvalidInput(f"The {name} is longer than {limit} characters.")
        get = single.get
        country = self._cached("country", get("country"), normalize_country)
        data = CleanCustomer(
            company=get("company"),
            contact=get("contact"),
            emails=list(
                dict.fromkeys(
                    fast_email(e) for _l, _r, t in values.get("email", ()) for e in split_multi(t)
                )
            ),
            phones=self._phones(values, country),
            country=country,
            city=get("city"),
            nature=self._cached("nature", get("nature"), parse_nature),
            source=self._cached("source", get("source"), parse_source),
            strength=get("strength"),
            products=list(
                dict.fromkeys(
                    p for _l, _r, t in values.get("products", ()) for p in split_products(t)
                )
            ),
            notes="\n".join([t for _l, _r, t in values.get("notes", ())] + extra) or None,
        )
        if data.is_empty():
            raise InvalidInput("The row has no company, contact, e-mail or phone.")
        acquired = self._dates(values.get("acquired", ()))
        last_contact = self._dates(values.get("last_contact", ()))
        return CleanRow(
            data=data,
            company_key=company_key(data.company) if data.company else "",
            contact_key=person_key(data.contact) if data.contact else "",
            grade=self._cached("grade", get("grade"), parse_grade),
            owner_id=self._cached("owner", get("owner"), self._owner),
            acquired=min(acquired) if acquired else None,
            last_contact=max(last_contact) if last_contact else None,
        )

    def _cached(self, kind: str, text: str | None, parse: Any) -> Any:
        if text is None:
            return None
        key = (kind, text)
        if key not in self._cache:
            try:
                self._cache[key] = parse(text)
            except InvalidInput as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, InvalidInput):
            raise found
        return found

    def _owner(self, text: str) -> int:
        found = self.users.get(text.casefold())
        if found is None:
            raise InvalidInput(
                f"Unknown owner {text!r}; add the user with `laop user add` "
                "or leave the cell empty (then --owner or you own the buyer)."
            )
        return found

    def _phones(
        self, values: dict[str, list[tuple[str, Any, str]]], country: str | None
    ) -> list[tuple[str, bool]]:
        phones: dict[str, bool] = {}
        for name in ("phone", "whatsapp"):
            for _label, _raw, text in values.get(name, ()):
                for item in split_multi(text):
                    number = _phone(item, country)
                    phones[number] = phones.get(number, False) or name == "whatsapp"
        return list(phones.items())

    def _dates(self, found: Any) -> list[datetime]:
        dates = []
        for _label, raw, text in found:
            moment = parse_sheet_date(raw)
            if moment is None:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            moment = moment.astimezone(UTC)
            if moment > self.latest:
                raise InvalidInput(f"The date {text!r} lies in the future.")
            dates.append(moment)
        return dates


def _phone(text: str, country: str | None) -> str:
    try:
        return normalize_phone(text, country=country)
    except InvalidInput:
        # Excel drops the "+" of a number typed as a number (8613800138000).
        digits = text.strip()
        if digits.isdigit() and len(digits) >= 10 and not digits.startswith("0"):
            try:
                return normalize_phone("+" + digits)
            except InvalidInput:
                pass
        raise
