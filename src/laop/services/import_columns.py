"""Many sheet rows cleaned at once, a column at a time.

RowCleaner.clean takes each row through its columns one cell at a time: thousands of
interpreter steps per row, the larger half of a large import's work. Most rows of a
large sheet are plain (text where text goes, date cells where dates go, values seen
before in the columns that repeat), and for them the same result comes from taking a
chunk's columns out all together (``zip``) and working on each column as a whole:
stripping, finding empty cells and placeholders, checking lengths, looking up
countries, grades and owners once per distinct value, converting dates — loops that
run in C wherever the column allows.

Only RowCleaner's commonest case is taken this way: one column at most for each
single-valued field (RowCleaner settles those as it reads them). A row that is not
plain — a value refused, a buyer without company, contact, e-mail or phone, a row
narrower than the sheet — is cleaned by RowCleaner.clean instead, so its result, and
which of its errors is reported, is the row-wise one. ColumnCleaner shares the row
cleaner's caches (it is its companion, and reads them directly). Tests compare both
ways on generated sheets.
"""

from collections.abc import Callable, Sequence
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from itertools import chain, islice, repeat
from operator import add, attrgetter, sub
from typing import Any

from laop.errors import InvalidInput
from laop.services.customers import CleanCustomer
from laop.services.import_rows import (
    CACHE_LIMIT,
    MAX_LENGTH,
    CleanRow,
    RowCleaner,
    clean_or_error,
    fast_email,
    fast_emails,
    utc_instant,
)
from laop.services.normalize import (
    company_domains,
    company_key,
    names_numbers,
    normalize_country,
    person_key,
    split_multi,
)
from laop.services.sheet import cell_text
from laop.services.sheet_values import (
    FIRST_YEAR,
    LAST_YEAR,
    PLACEHOLDERS,
    parse_grade,
    parse_nature,
    parse_sheet_date,
    parse_source,
)

__all__ = ["CUSTOMER_FIELDS", "ColumnCleaner"]

Result = CleanRow | InvalidInput | None
CUSTOMER_FIELDS = len(dataclass_fields(CleanCustomer))
Texts = list[str | None]  # a column's cells as text, None for an empty one

_TEXT_FIELDS = ("company", "contact", "city", "strength")  # taken as written
_LOOKED_UP = ("country", "nature", "source", "grade", "owner")  # parsed once per value
_OTHER_FIELDS = ("products", "email", "phone", "whatsapp", "notes", "acquired", "last_contact")
_KNOWN = frozenset((*_TEXT_FIELDS, *_LOOKED_UP, *_OTHER_FIELDS, None))
_ABSENT = PLACEHOLDERS | {""}  # a folded cell text that says nothing
_MISSING = object()
_YEAR = attrgetter("year")
_TZINFO = attrgetter("tzinfo")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LOCAL_EPOCH = datetime(1970, 1, 1)


class ColumnCleaner:
    """Cleans chunks of rows exactly as RowCleaner.clean cleans each row."""

    def __init__(self, cleaner: RowCleaner) -> None:
        self.cleaner = cleaner
        self.by_field: dict[str | None, list[tuple[int, str]]] = {}
        for index, name, label in cleaner.columns:
            self.by_field.setdefault(name, []).append((index, label))
        # One column per single-valued field, and no field this does not know.
        self.usable = cleaner._settle is not None and set(self.by_field) <= _KNOWN
        self._parsers: dict[str, Callable[[str], Any]] = {
            "country": normalize_country,
            "nature": parse_nature,
            "source": parse_source,
            "grade": parse_grade,
            "owner": cleaner._owner,
        }

    def clean(self, rows: Sequence[list[Any]]) -> list[Result]:
        """For each row, what RowCleaner.clean gives, or the InvalidInput it raises."""
        found = self.clean_columns(rows)
        if found is None:
            return [self._one(cells) for cells in rows]
        fields, done = found
        customers = map(CleanCustomer, *fields[:CUSTOMER_FIELDS])
        results: list[Result] = list(map(CleanRow, customers, *fields[CUSTOMER_FIELDS:]))
        for i, result in done.items():
            results[i] = result
        return results

    def clean_columns(
        self, rows: Sequence[list[Any]]
    ) -> tuple[list[list[Any]], dict[int, Result]] | None:
        """The rows cleaned as columns, or None when they are not for this way.

        The columns are CleanRow's fields, CleanCustomer's first (CUSTOMER_FIELDS of
        them), a list each; the rows they do not describe come with their results
        apart (None for a blank row, or RowCleaner.clean's result or error).
        """
        if not rows or not self.usable or min(map(len, rows)) < self.cleaner.width:
            return None
        count = len(rows)
        columns = list(zip(*rows, strict=False))
        by_field = self.by_field
        redo: set[int] = set()  # rows left to RowCleaner.clean (most have an error)
        present: list[list[Any]] = []  # every column read: a true value where a cell is

        def texts(name: str | None, *, keep: bool = False) -> list[Texts]:
            found = [_texts(columns[index], keep=keep) for index, _label in by_field.get(name, ())]
            present.extend(found)
            return found

        single: dict[str, Texts] = {}
        for name in (*_TEXT_FIELDS, *_LOOKED_UP):
            found = texts(name)
            single[name] = found[0] if found else [None] * count
            limit = MAX_LENGTH.get(name)
            if limit and found:
                _too_long(single[name], limit, redo)
        values = {name: self._look_up(name, single[name], redo) for name in _LOOKED_UP}
        countries = values["country"]
        products = self._products(texts("products"), count, redo)
        emails = _emails(texts("email"), count, redo)
        phones = self._phones(texts("phone"), texts("whatsapp"), countries, redo)
        notes = _notes(texts("notes", keep=True), texts(None, keep=True), by_field.get(None, []))
        firsts = self._dates("acquired", columns, present, redo, min)
        lasts = self._dates("last_contact", columns, present, redo, max)

        companies, contacts = single["company"], single["contact"]
        blank: list[int] = []
        if present:
            filled = list(map(any, zip(*present, strict=True)))
            if False in filled:
                blank = [i for i, known in enumerate(filled) if not known]
        someone = list(map(any, zip(companies, contacts, emails, phones, strict=True)))
        if False in someone:
            redo.update(i for i, known in enumerate(someone) if not known)
        grades = values["grade"]
        prepare = self.cleaner.prepare
        if prepare is None:
            prepared: list[Any] = [None] * count
        elif hasattr(prepare, "many"):  # import_dates.Preparer: a column at a time
            prepared = prepare.many(grades, firsts, lasts)
        else:
            prepared = list(map(prepare, grades, firsts, lasts))
        company_keys = [company_key(name) if name else "" for name in companies]
        fields: list[list[Any]] = [
            companies,
            contacts,
            emails,
            phones,
            countries,
            single["city"],
            values["nature"],
            values["source"],
            single["strength"],
            products,
            notes or [None] * count,
            company_keys,
            self._contact_keys(contacts),
            grades,
            values["owner"],
            firsts,
            lasts,
            prepared,
            _domains(emails),
            names_numbers(company_keys),
        ]
        done: dict[int, Result] = dict.fromkeys(blank)
        for i in redo.difference(blank):
            done[i] = self._one(rows[i])
        return fields, done

    def _one(self, cells: list[Any]) -> Result:
        return clean_or_error(self.cleaner, cells)

    def _look_up(self, name: str, texts: Texts, redo: set[int]) -> list[Any]:
        """The column parsed as RowCleaner parses it (in its cache), once per value."""
        cache = self.cleaner._cache[name]
        parse = self._parsers[name]
        local: dict[str | None, Any] = {None: None}
        refused = set()
        for text in set(texts):
            if text is None:
                continue
            found = RowCleaner.parsed(cache, text, parse)
            if isinstance(found, InvalidInput):
                refused.add(text)
                found = None
            local[text] = found
        if refused:
            redo.update(i for i, text in enumerate(texts) if text in refused)
        return list(map(local.__getitem__, texts))

    def _products(self, found: list[Texts], count: int, redo: set[int]) -> list[list[str]]:
        if not found:
            return [[] for _ in range(count)]
        (texts,) = found  # a settled field: one column
        split, limit = self.cleaner._split_products, MAX_LENGTH["products"]
        local: dict[str, list[str]] = {}
        refused = set()
        for text in set(texts):
            if text is not None:
                products = local[text] = split(text)
                if products and max(map(len, products)) > limit:
                    refused.add(text)
        if refused:
            redo.update(i for i, text in enumerate(texts) if text in refused)
        return [[] if text is None else list(local[text]) for text in texts]

    def _phones(
        self, phones: list[Texts], whatsapps: list[Texts], countries: list[Any], redo: set[int]
    ) -> list[list[tuple[str, bool]]]:
        count = len(countries)
        phones = [column for column in phones if any(column)]
        whatsapps = [column for column in whatsapps if any(column)]
        if not phones and not whatsapps:
            return [[] for _ in range(count)]
        found: list[list[tuple[str, bool]]] = []
        numbers = zip(*phones, strict=True) if phones else repeat((), count)
        others = zip(*whatsapps, strict=True) if whatsapps else repeat((), count)
        rows = zip(numbers, others, countries, strict=False)  # repeat() has no end
        for i, (phone, whatsapp, country) in enumerate(rows):
            # The (label, cell, text) lists RowCleaner._phones reads (it needs the text).
            given = {
                "phone": [("", None, t) for t in phone if t is not None],
                "whatsapp": [("", None, t) for t in whatsapp if t is not None],
            }
            try:
                found.append(self.cleaner._phones(given, country))
            except InvalidInput:
                redo.add(i)
                found.append([])
        return found

    def _dates(
        self,
        name: str,
        columns: list[tuple[Any, ...]],
        present: list[list[Any]],
        redo: set[int],
        pick: Callable[[list[datetime]], datetime],
    ) -> list[datetime | None]:
        """Each row's earliest (or latest) date of the field's columns, in UTC."""
        found = []
        for index, _label in self.by_field.get(name, ()):
            moments, cells = self._moments(columns[index], redo)
            present.append(cells)
            found.append(moments)
        if not found:
            return [None] * len(columns[0])
        if len(found) == 1:
            return found[0]
        picked = []
        for dates in zip(*found, strict=True):
            known = [m for m in dates if m is not None]
            picked.append(pick(known) if known else None)
        return picked

    def _moments(
        self, column: tuple[Any, ...], redo: set[int]
    ) -> tuple[list[datetime | None], list[Any]]:
        """A date column in UTC (None: no date), and where a cell is (true: one is)."""
        cleaner = self.cleaner
        tz, latest = cleaner.tz, cleaner.latest
        if (
            set(map(type, column)) == {datetime}
            and min(map(_YEAR, column)) >= FIRST_YEAR
            and max(map(_YEAR, column)) <= LAST_YEAR
            and set(map(_TZINFO, column)) == {None}
        ):
            # Date cells, as a workbook gives them: utc_instant's arithmetic, in C (the
            # UTC epoch moved by each offset, plus the time since the local epoch).
            moments: list[Any] = list(
                map(
                    add,
                    map(sub, repeat(_EPOCH), map(tz.utcoffset, column)),
                    map(sub, column, repeat(_LOCAL_EPOCH)),
                )
            )
            if max(moments) > latest:
                redo.update(i for i, moment in enumerate(moments) if moment > latest)
            return moments, moments
        moments, cells = [], []
        for i, raw in enumerate(column):
            moment, cell = _moment(raw)
            if moment is _MISSING:
                redo.add(i)
                moment = None
            elif moment is not None:
                moment = utc_instant(moment, tz)
                if moment > latest:
                    redo.add(i)
            moments.append(moment)
            cells.append(cell)
        return moments, cells

    def _contact_keys(self, contacts: Texts) -> list[str]:
        keys = self.cleaner._person_keys
        local: dict[str | None, str] = {None: ""}
        for name in set(contacts):
            if name is not None:
                key = keys.get(name)
                if key is None:
                    if len(keys) >= CACHE_LIMIT:
                        keys.clear()
                    key = keys[name] = person_key(name)
                local[name] = key
        return list(map(local.__getitem__, contacts))


def _texts(column: tuple[Any, ...], *, keep: bool) -> Texts:
    """A column's cells as RowCleaner reads them: stripped text, None for an empty
    cell and (unless ``keep``: notes, unmapped columns) for a placeholder."""
    if set(map(type, column)) == {str}:
        texts: list[Any] = list(map(str.strip, column))
    else:
        texts = [_text(value) for value in column]
    if not any(texts):
        return [None] * len(texts)  # an empty column (many columns of a sheet are)
    if keep:
        return [text or None for text in texts] if "" in texts else texts
    if _ABSENT.isdisjoint(map(str.casefold, texts)):
        return texts
    # Folding never shortens a text, so one longer than every placeholder is none.
    return [None if text.casefold() in _ABSENT else text for text in texts]


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    return "" if value is None else cell_text(value)


def _moment(raw: Any) -> tuple[Any, bool]:
    """A date cell as RowCleaner._dates reads it: (its date, None for none or
    _MISSING for a refused one; whether the row has the cell at all)."""
    kind = type(raw)
    if kind is datetime and FIRST_YEAR <= raw.year <= LAST_YEAR:
        return raw, True
    if kind is not datetime and kind is not date:
        text = _text(raw)
        if not text or text.casefold() in _ABSENT:
            return None, False
    try:
        return parse_sheet_date(raw), True
    except InvalidInput:
        return _MISSING, True


def _too_long(texts: Texts, limit: int, redo: set[int]) -> None:
    if max(map(len, filter(None, texts)), default=0) > limit:
        redo.update(i for i, text in enumerate(texts) if text is not None and len(text) > limit)


def _emails(found: list[Texts], count: int, redo: set[int]) -> list[list[str]]:
    """Each row's addresses as RowCleaner._emails gives them ([] for none)."""
    found = [column for column in found if any(column)]
    if not found:
        return [[] for _ in range(count)]
    if len(found) == 1:
        texts = found[0]
        known = [text for text in texts if text is not None] if None in texts else texts
        plain = fast_emails(known)  # type: ignore[arg-type]
        if plain is not None:
            if known is texts:
                return list(map(list, zip(plain)))  # type: ignore[arg-type]
            addresses = iter(plain)
            return [[] if text is None else [next(addresses)] for text in texts]
    emails: list[list[str]] = []
    cells = found[0] if len(found) == 1 else [_first_or_all(t) for t in zip(*found, strict=True)]
    for i, text in enumerate(cells):
        if text is None:
            emails.append([])
            continue
        try:
            if type(text) is str:
                items = split_multi(text)
                if len(items) == 1:
                    emails.append([fast_email(items[0])])
                    continue
                text = [text]
            emails.append(list(dict.fromkeys(fast_email(e) for t in text for e in split_multi(t))))
        except InvalidInput:
            redo.add(i)
            emails.append([])
    return emails


def _domains(emails: list[list[str]]) -> list[tuple[str | None, ...]]:
    """Each row's company domains, one per address (normalize.company_domain)."""
    if set(map(len, emails)) == {1}:  # one address a row, as most sheets have
        return list(zip(company_domains(list(chain.from_iterable(emails))), strict=True))
    domains = iter(company_domains(list(chain.from_iterable(emails))))
    return [tuple(islice(domains, len(addresses))) for addresses in emails]


def _first_or_all(texts: tuple[str | None, ...]) -> str | list[str] | None:
    # A row's texts of several e-mail columns: the one text, or all of them as a list.
    known = [text for text in texts if text is not None]
    if not known:
        return None
    return known[0] if len(known) == 1 else known


def _notes(notes: list[Texts], extra: list[Texts], labels: list[tuple[int, str]]) -> list[Any]:
    """Each row's notes: its notes cells, then "Header: value" of its unmapped cells."""
    notes = [column for column in notes if any(column)]
    kept = [
        (label, column)
        for (_index, label), column in zip(labels, extra, strict=True)
        if any(column)
    ]
    if not notes and not kept:
        return []
    count = len((notes or [column for _label, column in kept])[0])
    written = []
    for i in range(count):
        lines = [column[i] for column in notes if column[i] is not None]
        lines += [f"{label}: {column[i]}" for label, column in kept if column[i] is not None]
        written.append("\n".join(lines) or None)  # type: ignore[arg-type]
    return written
