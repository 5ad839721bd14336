"""One sheet row → one cleaned buyer (or the reason it cannot be imported).

The row's cells are gathered by the field their column maps to. Several columns for one
field are allowed: e-mails, phones and products are pooled; for a single-valued field
the first value wins and a different later one goes to the notes; of several dates the
earliest is the acquisition date and the latest the last follow-up. A column that maps
to nothing is kept in the notes as a "Header: value" line, so no cell is lost.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from operator import attrgetter, floordiv, sub
from typing import Any
from zoneinfo import ZoneInfo

from laop.errors import InvalidInput
from laop.services.customers import CleanCustomer
from laop.services.normalize import (
    company_domain,
    company_key,
    name_numbers,
    normalize_country,
    normalize_email,
    normalize_phone,
    one_item_each,
    person_key,
    split_multi,
)
from laop.services.sheet import Column, cell_text
from laop.services.sheet_values import (
    FIRST_YEAR,
    LAST_YEAR,
    PLACEHOLDER_LENGTH,
    is_placeholder,
    parse_grade,
    parse_nature,
    parse_sheet_date,
    parse_source,
    split_products,
)

__all__ = [
    "CleanRow",
    "Packed",
    "RowCleaner",
    "clean_or_error",
    "fast_email",
    "fast_emails",
    "micros",
    "moment",
    "pack",
    "unpack",
    "utc_instant",
]

# Column widths of the store (models.py); longer values are refused, not cut.
MAX_LENGTH = {"company": 300, "contact": 200, "city": 120, "strength": 200, "products": 200}
FUTURE_TOLERANCE = timedelta(days=1)
SINGLE = frozenset(
    ("company", "contact", "country", "city", "nature", "source", "strength", "grade", "owner")
)
DATE_FIELDS = frozenset(("acquired", "last_contact"))
CACHE_LIMIT = 50_000  # cleaned values kept per cache (contact names, product cells)
_MISSING = object()

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


def fast_emails(texts: list[str]) -> list[str] | None:
    """fast_email of each of these stripped texts when every one is a plain address.

    Checked for them all at once (lengths, the pattern), in C: None when any text
    holds several items or is not plain, for the caller to take them one by one.
    """
    if not texts or not one_item_each(texts):
        return None
    lowered = list(map(str.lower, texts))
    if (
        max(map(len, lowered)) > 254
        or max(map(str.find, lowered, repeat("@"))) > 64  # the local part's length
        or not all(map(_SIMPLE_EMAIL.fullmatch, lowered))
    ):
        return None
    return lowered


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
    # What the store writes for the dates of a buyer this row creates, worked out
    # with the row (RowCleaner's ``prepare``; ImportStore.preparer says what it holds).
    prepared: tuple[Any, ...] | None = None
    # What matching needs besides: each e-mail's company domain (normalize.
    # company_domain) and the company key's numbers (name_numbers); None: not known.
    domains: tuple[str | None, ...] | None = None
    numbers: str | None = None


# A CleanRow as one flat tuple of plain values, how a row travels from a cleaning
# process (marshalled at C speed) and how the importing process places most rows
# (without making a CleanRow of them): CleanCustomer's fields, then CleanRow's own,
# its two instants (UTC) as microseconds since the epoch (marshal takes no datetime).
Packed = tuple[Any, ...]
CUSTOMER_FIELDS = len(fields(CleanCustomer))
# Where each of CleanRow's own fields is in a Packed tuple.
COMPANY_KEY, CONTACT_KEY, GRADE, OWNER_ID, ACQUIRED, LAST_CONTACT, PREPARED, DOMAINS, NUMBERS = (
    range(CUSTOMER_FIELDS, CUSTOMER_FIELDS + 9)
)
EMAILS, PHONES = 2, 3  # CleanCustomer's e-mails and phones
_CUSTOMER = attrgetter(*(f.name for f in fields(CleanCustomer)))
_OWN = attrgetter("company_key", "contact_key", "grade", "owner_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def pack(row: CleanRow) -> Packed:
    """``row`` as a Packed tuple."""
    acquired, last = row.acquired, row.last_contact
    return (
        *_CUSTOMER(row.data),
        *_OWN(row),
        None if acquired is None else (acquired - _EPOCH) // _MICROSECOND,
        None if last is None else (last - _EPOCH) // _MICROSECOND,
        row.prepared,
        row.domains,
        row.numbers,
    )


def moment(micros: int) -> datetime:
    """A Packed instant (microseconds since the epoch) as a datetime in UTC."""
    return _EPOCH + micros * _MICROSECOND


def micros(moments: list[datetime | None]) -> list[int | None]:
    """A column of instants (UTC) as pack gives each: microseconds since the epoch."""
    if None in moments:
        return [None if m is None else (m - _EPOCH) // _MICROSECOND for m in moments]
    return list(map(floordiv, map(sub, moments, repeat(_EPOCH)), repeat(_MICROSECOND)))


def unpack(item: Packed) -> CleanRow:
    """The CleanRow packed in ``item``."""
    company_key, contact_key, grade, owner_id, acquired, last, prepared, domains, numbers = item[
        CUSTOMER_FIELDS:
    ]
    return CleanRow(
        CleanCustomer(*item[:CUSTOMER_FIELDS]),
        company_key,
        contact_key,
        grade,
        owner_id,
        None if acquired is None else moment(acquired),
        None if last is None else moment(last),
        prepared,
        domains,
        numbers,
    )


class RowCleaner:
    """Cleans rows of one sheet; caches what repeats (countries, owners, vocabularies).

    Rows are cleaned by the hundred thousand, so the per-cell work is kept small:
    values that repeat down a column (countries, grades, contact names, product lists)
    are cleaned once, and a date cell's text is only spelled out for an error message.
    The checks run in a fixed order, so a row with several bad values always reports
    the same one.
    """

    def __init__(
        self,
        columns: list[Column],
        *,
        users: dict[str, int],
        tz: ZoneInfo,
        now: datetime,
        prepare: Callable[[str | None, datetime | None, datetime | None], Any] | None = None,
    ) -> None:
        """``prepare(grade, acquired, last_contact)``: a row's ``prepared`` (None: none)."""
        # (index, field, label) of the columns worth reading, left to right.
        self.columns = [
            (c.index, c.field, c.label)
            for c in sorted(columns, key=lambda c: c.index)
            if c.field != "ignore"
        ]
        self.width = max((c[0] for c in self.columns), default=-1) + 1
        self.users = users  # folded name or sub-account → user id
        self.tz = tz
        self.latest = now + FUTURE_TOLERANCE
        self.prepare = prepare
        # Per kind of value: cell text → cleaned value (or the InvalidInput it raised).
        self._cache: dict[str, dict[str, Any]] = {
            kind: {} for kind in ("country", "nature", "source", "grade", "owner")
        }
        self._products: dict[str, list[str]] = {}
        self._person_keys: dict[str, str] = {}
        # When every single-valued or length-limited field has one column (most
        # sheets), such a field's value is settled as its cell is read: field → its
        # length limit (0: none). The first too long value in column order is then
        # the one the general way finds first, after reading the whole row.
        fields = [name for _index, name, _label in self.columns if name]
        settled = [name for name in fields if name in SINGLE or name in MAX_LENGTH]
        self._settle: dict[str, int] | None = None
        if len(settled) == len(set(settled)):
            self._settle = {name: MAX_LENGTH.get(name, 0) for name in settled if name != "products"}

    def clean(self, cells: list[Any]) -> CleanRow | None:
        """The row's buyer; None for a blank row. Raises InvalidInput for a bad value."""
        # field → (label, cell, text); a date cell's text is None until needed.
        values: dict[str, list[tuple[str, Any, str | None]]] = {}
        extra: list[str] = []
        single: dict[str, str] = {}
        settle = self._settle
        columns = self.columns
        if len(cells) < self.width:
            columns = [c for c in columns if c[0] < len(cells)]
        for index, name, label in columns:
            raw = cells[index]
            kind = type(raw)
            if kind is str:
                if not raw:
                    continue
                text: str | None = raw.strip()
                if not text:
                    continue
            elif raw is None:
                continue
            elif (kind is datetime or kind is date) and name in DATE_FIELDS:
                # Spelled out (cell_text) only for an error message; never empty
                # nor a placeholder.
                text = None
            else:
                text = cell_text(raw)
                if not text:
                    continue
            if name is None:
                extra.append(f"{label}: {text}")
                continue
            if (
                text is not None
                and len(text) <= PLACEHOLDER_LENGTH  # a longer text is none
                and name != "notes"
                and is_placeholder(text)
            ):
                continue
            if settle is not None:
                limit = settle.get(name)
                if limit is not None:
                    if limit and len(text) > limit:  # type: ignore[arg-type]
                        raise InvalidInput(f"The {name} is longer than {limit} characters.")
                    single[name] = text  # type: ignore[assignment]
                    continue
                if name == "products":
                    for product in self._split_products(text):  # type: ignore[arg-type]
                        if len(product) > MAX_LENGTH["products"]:
                            raise InvalidInput(
                                f"The products is longer than {MAX_LENGTH['products']} characters."
                            )
            found = values.get(name)
            if found is None:
                values[name] = [(label, raw, text)]
            else:
                found.append((label, raw, text))
        if not values and not extra and not single:
            return None
        for name, found in values.items() if settle is None else ():
            first = found[0][2]
            if name in SINGLE:
                single[name] = first  # type: ignore[assignment]
                if len(found) > 1:
                    extra.extend(f"{label}: {t}" for label, _r, t in found[1:] if t != first)
            limit = MAX_LENGTH.get(name)
            if limit:
                if name == "products":
                    texts = [p for _l, _r, t in found for p in self._split_products(t)]  # type: ignore[arg-type]
                elif len(found) == 1:
                    texts = (first,)  # type: ignore[assignment]
                else:
                    texts = [t for _l, _r, t in found]  # type: ignore[misc]
                for t in texts:
                    if len(t) > limit:  # type: ignore[arg-type]
                        raise InvalidInput(f"The {name} is longer than {limit} characters.")
        get = single.get
        cache = self._cache
        country = self._cached(cache["country"], get("country"), normalize_country)
        emails = values.get("email")
        products = values.get("products")
        notes = values.get("notes")
        data = CleanCustomer(
            company=get("company"),
            contact=get("contact"),
            emails=self._emails(emails) if emails else [],
            phones=self._phones(values, country)
            if "phone" in values or "whatsapp" in values
            else [],
            country=country,
            city=get("city"),
            nature=self._cached(cache["nature"], get("nature"), parse_nature),
            source=self._cached(cache["source"], get("source"), parse_source),
            strength=get("strength"),
            products=self._product_list(products) if products else [],
            notes=("\n".join([t for _l, _r, t in notes] + extra) if notes else "\n".join(extra))  # type: ignore[misc]
            or None,
        )
        if data.is_empty():
            raise InvalidInput("The row has no company, contact, e-mail or phone.")
        acquired = values.get("acquired")
        last_contact = values.get("last_contact")
        firsts = self._dates(acquired) if acquired else None
        lasts = self._dates(last_contact) if last_contact else None
        contact = data.contact
        if contact:
            contact_key = self._person_keys.get(contact)
            if contact_key is None:
                if len(self._person_keys) >= CACHE_LIMIT:
                    self._person_keys.clear()
                contact_key = self._person_keys[contact] = person_key(contact)
        else:
            contact_key = ""
        grade = self._cached(cache["grade"], get("grade"), parse_grade)
        owner_id = self._cached(cache["owner"], get("owner"), self._owner)
        first = min(firsts) if firsts else None
        last = max(lasts) if lasts else None
        key = company_key(data.company) if data.company else ""
        return CleanRow(
            data,
            key,
            contact_key,
            grade,
            owner_id,
            first,
            last,
            None if self.prepare is None else self.prepare(grade, first, last),
            tuple(map(company_domain, data.emails)),
            name_numbers(key),
        )

    @staticmethod
    def parsed(cache: dict[str, Any], text: str, parse: Any) -> Any:
        """``parse(text)``, or the InvalidInput it raised, as ``cache`` keeps them."""
        found = cache.get(text, _MISSING)
        if found is _MISSING:
            try:
                found = cache[text] = parse(text)
            except InvalidInput as exc:
                found = cache[text] = exc
        return found

    @classmethod
    def _cached(cls, cache: dict[str, Any], text: str | None, parse: Any) -> Any:
        if text is None:
            return None
        found = cls.parsed(cache, text, parse)
        if isinstance(found, InvalidInput):
            # Without the traceback of its last raise, which would grow with each.
            raise found.with_traceback(None)
        return found

    def _split_products(self, text: str) -> list[str]:
        found = self._products.get(text)
        if found is None:
            if len(self._products) >= CACHE_LIMIT:
                self._products.clear()
            # Without repeats, as the products of a row are listed.
            found = self._products[text] = list(dict.fromkeys(split_products(text)))
        return found

    def _product_list(self, found: list[tuple[str, Any, str | None]]) -> list[str]:
        if len(found) == 1:
            return list(self._split_products(found[0][2]))  # type: ignore[arg-type]
        return list(dict.fromkeys(p for _l, _r, t in found for p in self._split_products(t)))  # type: ignore[arg-type]

    @staticmethod
    def _emails(found: list[tuple[str, Any, str | None]]) -> list[str]:
        if len(found) == 1:
            items = split_multi(found[0][2])  # type: ignore[arg-type]
            if len(items) == 1:
                return [fast_email(items[0])]
        return list(dict.fromkeys(fast_email(e) for _l, _r, t in found for e in split_multi(t)))  # type: ignore[arg-type]

    def _owner(self, text: str) -> int:
        found = self.users.get(text.casefold())
        if found is None:
            raise InvalidInput(
                f"Unknown owner {text!r}; add the user with `laop user add` "
                "or leave the cell empty (then --owner or you own the buyer)."
            )
        return found

    def _phones(
        self, values: dict[str, list[tuple[str, Any, str | None]]], country: str | None
    ) -> list[tuple[str, bool]]:
        phones: dict[str, bool] = {}
        for name in ("phone", "whatsapp"):
            for _label, _raw, text in values.get(name, ()):
                for item in split_multi(text):  # type: ignore[arg-type]
                    number = _phone(item, country)
                    phones[number] = phones.get(number, False) or name == "whatsapp"
        return list(phones.items())

    def _dates(self, found: list[tuple[str, Any, str | None]]) -> list[datetime]:
        dates = []
        tz, latest = self.tz, self.latest
        for _label, raw, text in found:
            if type(raw) is datetime and FIRST_YEAR <= raw.year <= LAST_YEAR:
                moment: datetime = raw  # what parse_sheet_date gives, without its checks
            else:
                parsed = parse_sheet_date(raw)
                if parsed is None:
                    continue
                moment = parsed
            moment = utc_instant(moment, tz)
            if moment > latest:
                shown = cell_text(raw) if text is None else text
                raise InvalidInput(f"The date {shown!r} lies in the future.")
            dates.append(moment)
        return dates


def clean_or_error(cleaner: RowCleaner, cells: list[Any]) -> CleanRow | InvalidInput | None:
    """The row cleaned, None for a blank one, or the InvalidInput that refuses it."""
    try:
        return cleaner.clean(cells)
    except InvalidInput as exc:
        return exc


def utc_instant(moment: datetime, tz: ZoneInfo) -> datetime:
    """``moment`` in UTC; a naive one is taken as ``tz``'s local time.

    What ``moment.replace(tzinfo=tz).astimezone(UTC)`` gives, in a fraction of its
    time (replace() parses its keyword slowly): the offset of a naive time is the
    one tz gives it (first of two, as fold 0 says, in an hour that repeats).
    """
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    utc = moment - tz.utcoffset(moment)  # type: ignore[operator]
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, UTC
    )


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
