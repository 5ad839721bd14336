"""`laop import`: customer sheets into the store, without duplicates or data loss.

Every row is cleaned (services/import_rows.py), looked up with intake's matching
(services/buyer_index.py: same evidence, same weights, same pick_match) among the
stored buyers and the rows imported before it, and then

- ``merge`` (default): a found buyer gets what it lacks — empty fields filled, new
  e-mails, phones and products added, notes appended, an earlier acquisition date —
  while a stored value that differs from the sheet's is kept and reported as a conflict;
- ``skip``: a found buyer is left alone;
- ``new``: every row creates a buyer.

A row that several buyers could be, or with a bad value, is skipped and reported with
its sheet row number. A grade from the sheet is recorded as a grade change (at the
acquisition date, else now); a last follow-up date as an outbound follow-up e-mail at
that date (noon business time when no time is given), so that the due list is right.
All writes happen in the caller's one transaction.
"""

import csv
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from laop.errors import AmbiguousError, InvalidInput, NotFound
from laop.models import User, utcnow
from laop.services.buyer_index import ambiguous_reason
from laop.services.clean_ahead import FORK_FROM, Chunk, CleanAhead, clean_here
from laop.services.import_rows import (
    COMPANY_KEY,
    DOMAINS,
    EMAILS,
    NUMBERS,
    OWNER_ID,
    PHONES,
    CleanRow,
    Packed,
    RowCleaner,
    unpack,
)
from laop.services.import_store import SCALARS, Buyer, ImportStore
from laop.services.sheet import FIELDS, SheetRead, cell_text, header_key, open_sheet

__all__ = [
    "DUPLICATE_MODES",
    "ImportOptions",
    "ImportReport",
    "RowsRejected",
    "import_file",
    "parse_mapping",
    "write_error_csv",
]

DUPLICATE_MODES = ("merge", "skip", "new")
CHUNK = 2_000
REFRESH_CHUNK = 5_000
SWITCH_INTERVAL = 0.001  # seconds between the threads' turns while rows are placed
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass
class ImportOptions:
    """How to read the sheet and what to do with buyers found again."""

    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # header → field (--map)
    owner: str | None = None  # for rows without an owner (default: the acting user)
    on_duplicate: str = "merge"
    dry_run: bool = False
    strict: bool = False


@dataclass
class RowError:
    row: int
    reason: str
    cells: list[Any] | None  # None until _fill_cells reads them again


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    file: str
    sheet: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0  # merged rows that brought nothing new
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The `--json` shape."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "rows": self.rows,
            "created": self.created,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": [{"row": e.row, "reason": e.reason} for e in self.errors],
            "conflicts": self.conflicts,
            "dry_run": self.dry_run,
        }


class RowsRejected(InvalidInput):
    """--strict and some rows are bad: nothing is imported."""

    def __init__(self, report: ImportReport) -> None:
        first = report.errors[0]
        count = len(report.errors)
        super().__init__(
            f"{count} row{'s' if count != 1 else ''} cannot be imported (first: row "
            f"{first.row}: {first.reason}); --strict imports nothing."
        )
        self.report = report


def parse_mapping(items: list[str]) -> dict[str, str]:
    """--map values 'Header=field' as {header: field}; raises InvalidInput for bad ones."""
    mapping: dict[str, str] = {}
    for item in items:
        header, equals, name = item.rpartition("=")
        name = name.strip().lower().replace("-", "_")
        if not equals or not header.strip():
            raise InvalidInput(f"--map takes 'Header=field', got {item!r}.")
        if name not in FIELDS:
            raise InvalidInput(f"Unknown field {name!r} in --map; use one of: {', '.join(FIELDS)}.")
        mapping[header.strip()] = name
    return mapping


def import_file(
    session: Session,
    path: Path,
    *,
    actor: User,
    options: ImportOptions,
    progress: Progress | None = None,
    read: SheetRead | None = None,
) -> ImportReport:
    """Import the buyers of a sheet (xlsx or csv) in the session's transaction.

    ``progress(total)`` opens a progress display and yields ``advance_to(done)``;
    ``read``: the file already being read (SheetRead), else the import starts reading
    it and loads the stored buyers meanwhile.
    Raises RowsRejected under ``options.strict`` when any row is bad (the caller's
    transaction then rolls back), InvalidInput/NotFound for an unusable file or option.
    """
    from laop.services.clock import business_tz
    from laop.services.users import get_user

    if options.on_duplicate not in DUPLICATE_MODES:
        raise InvalidInput(f"--on-duplicate takes {', '.join(DUPLICATE_MODES)}.")
    for name in options.mapping.values():
        if name not in FIELDS:
            raise InvalidInput(f"Unknown field {name!r}; use one of: {', '.join(FIELDS)}.")
    if read is None:
        read = SheetRead(path, sheet=options.sheet)
    default_owner = get_user(session, options.owner) if options.owner else actor
    now = utcnow().replace(microsecond=0)
    store = ImportStore(session, write=not options.dry_run, actor_id=actor.id, now=now)  # type: ignore[arg-type]
    store.load()
    overrides = {header_key(h): f for h, f in options.mapping.items()}
    sheet = open_sheet(path, sheet=options.sheet, overrides=overrides, read=read)
    present = {header_key(c.header) for c in sheet.columns}
    for header in options.mapping:
        if header_key(header) not in present:
            raise InvalidInput(
                f"--map names {header!r}, which is not a column of the header row "
                f"(row {sheet.header_row}: {', '.join(h for h in sheet.headers if h)})."
            )
    users: dict[str, int] = {}
    names: dict[int, str] = {}
    for user in session.exec(select(User)):
        if user.subaccount:
            users.setdefault(user.subaccount.casefold(), user.id)  # type: ignore[arg-type]
        users[user.name.casefold()] = user.id  # type: ignore[assignment]
        names[user.id] = user.name  # type: ignore[index]
    cleaner = RowCleaner(
        sheet.columns, users=users, tz=business_tz(session), now=now, prepare=store.preparer()
    )
    store.begin(rows=sheet.total_rows)
    report = ImportReport(
        file=path.name, sheet=sheet.name, dry_run=options.dry_run, headers=sheet.headers
    )
    run = _Run(
        store,
        report,
        options,
        default_owner_id=default_owner.id,  # type: ignore[arg-type]
        user_names=names,
        now=now,
    )
    total = max(sheet.total_rows, 1)
    # The import keeps a few hundred thousand small objects alive (the index, the
    # buyers) and leaves no garbage that only the cyclic collector could free: the
    # collector is paused meanwhile rather than rescanning them again and again (a
    # tenth of the run time, even with them frozen after each chunk).
    collecting = gc.isenabled()
    gc.disable()
    ahead: CleanAhead | None = None
    try:
        # Forked only while this process runs no other thread (a fork copies one
        # thread, and a lock another one held would stay locked in the child): before
        # the writer thread and the progress bar's refresh thread exist.
        alone = threading.active_count() == 1
        if sheet.in_memory and total >= FORK_FROM and hasattr(os, "fork") and alone:
            ahead = CleanAhead(sheet.rows, cleaner, CHUNK)
            chunks = ahead.chunks()
        else:
            chunks = clean_here(sheet.rows, cleaner, CHUNK)
        with (progress or _silent)(total * 2) as advance, _switching(SWITCH_INTERVAL):
            count = 0
            for chunk in chunks:
                run.place_chunk(chunk)
                count += len(chunk)
                store.flush()
                advance(min(count, total))
            if ahead is not None:
                _fill_cells(report.errors, sheet.rows)
            # The parsed sheet, as big as the rest of a large import together, is
            # needed no more: what it frees serves the building of the indexes.
            sheet.rows = iter(())
            read.release()
            store.finish(file_name=path.name)
            advance(total)
            if options.strict and report.errors:
                raise RowsRejected(report)
            ids = sorted(store.refresh)
            _refresh(session, ids, write=not options.dry_run, total=total, on=advance)
    finally:
        if ahead is not None:
            ahead.close()
        store.close()
        if collecting:
            gc.enable()
    return report


@contextmanager
def _switching(interval: float) -> Iterator[None]:
    """Let threads take turns at most ``interval`` seconds apart meanwhile.

    The writer thread gives the GIL up for each statement SQLite runs, and needs it
    back to bind the next: with the interpreter's 5 ms between turns, it waited for
    this thread's placing about as long as it worked (100,000 rows placed and written
    without the cleaning: 2.9-3.0 s with 5 ms, 2.3-2.6 s with 1 ms).
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _fill_cells(errors: list[RowError], rows: Iterator[tuple[int, list[Any]]]) -> None:
    """Give the refused rows whose cells stayed with the cleaning processes their cells.

    ``rows``: the sheet's rows from where the cleaning processes began.
    """
    wanted = {error.row: error for error in errors if error.cells is None}
    for number, cells in rows:
        if not wanted:
            break
        error = wanted.pop(number, None)
        if error is not None:
            error.cells = list(cells)


def _silent(_total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda _done: None)


def _refresh(
    session: Session, ids: list[int], *, write: bool, total: int, on: Callable[[int], None]
) -> None:
    from laop.services.cadence import refresh_followup

    if not write:
        return
    for start in range(0, len(ids), REFRESH_CHUNK):
        refresh_followup(session, ids[start : start + REFRESH_CHUNK])
        on(total + total * min(start + REFRESH_CHUNK, len(ids)) // len(ids))


class _Run:
    """Places each cleaned row: a new buyer, a merge, a skip, or an error."""

    def __init__(
        self,
        store: ImportStore,
        report: ImportReport,
        options: ImportOptions,
        *,
        default_owner_id: int,
        user_names: dict[int, str],
        now: Any,
    ) -> None:
        self.store = store
        self.user_names = user_names
        self.report = report
        self.mode = options.on_duplicate
        self.default_owner_id = default_owner_id
        self.now = now
        self.reason = f"imported from {report.file}"
        self.index = store.index

    def error(self, number: int, reason: str, cells: list[Any] | None) -> None:
        self.report.rows += 1
        self.report.errors.append(RowError(number, reason, None if cells is None else list(cells)))

    def place_chunk(self, chunk: Chunk) -> None:
        """Place each row of a chunk of cleaned rows (clean_ahead.Chunk).

        A row no buyer can be (most rows of a large import) is created from its packed
        form; the others are matched, merged or skipped as a CleanRow (place).
        """
        index, store, report = self.index, self.store, self.report
        matching = self.mode != "new"
        default_owner, reason = self.default_owner_id, self.reason
        for number, row, cells in chunk:
            if row is None:
                continue  # a blank row
            if isinstance(row, str):
                self.error(number, row, cells)
                continue
            if matching and index.may_know(
                row[EMAILS], row[PHONES], row[COMPANY_KEY], row[DOMAINS], row[NUMBERS]
            ):
                self.place(number, cells, row)
                continue
            report.rows += 1
            store.create(row, owner_id=row[OWNER_ID] or default_owner, reason=reason)
            report.created += 1

    def place(self, number: int, cells: list[Any] | None, packed: Packed) -> None:
        """Place a row some buyer may be: create, merge, skip, or refuse it."""
        row = unpack(packed)
        target = None
        if self.mode != "new":
            try:
                target = self.store.index.match(
                    row.data,
                    company_key=row.company_key,
                    contact_key=row.contact_key,
                    domains=row.domains,
                    numbers=row.numbers,
                )
            except AmbiguousError as exc:
                self.error(number, ambiguous_reason(exc), cells)
                return
        self.report.rows += 1
        if target is None:
            self.store.create(
                packed, owner_id=row.owner_id or self.default_owner_id, reason=self.reason
            )
            self.report.created += 1
        elif self.mode == "skip":
            self.report.skipped += 1
        else:
            buyer = self.store.buyers[target]
            self.report.merged += 1
            if not self._merge(number, buyer, row):
                self.report.unchanged += 1

    def _add_details(self, buyer: Buyer, row: CleanRow) -> bool:
        """Add the row's new e-mails, phones and products; tell whether any was new."""
        added = False
        index = self.store.index
        for email in row.data.emails:
            if not index.has_contact(buyer.id, "email", email):
                self.store.add_contact(buyer, "email", email, whatsapp=False)
                _note_added(buyer, "emails", email)
                added = True
        for phone, whatsapp in row.data.phones:
            if not index.has_contact(buyer.id, "phone", phone):
                self.store.add_contact(buyer, "phone", phone, whatsapp=whatsapp)
                _note_added(buyer, "phones", phone)
                added = True
        for product in row.data.products:
            if product not in buyer.products:
                self.store.add_product(buyer, product)
                _note_added(buyer, "products", product)
                added = True
        return added

    def _merge(self, number: int, buyer: Buyer, row: CleanRow) -> bool:
        """Fill what the buyer lacks; report what differs. Tell whether anything changed."""
        data = row.data
        changed = self._add_details(buyer, row)
        for name in SCALARS:
            value = getattr(data, name)
            stored = getattr(buyer, name)
            if value is None:
                continue
            if stored in (None, ""):
                setattr(buyer, name, value)
                buyer.fill(name)
                changed = True
            elif not _same(name, buyer, row):
                self._conflict(number, buyer, name, stored, value)
        filled = buyer.filled or ()
        if "company" in filled or "contact" in filled:
            from laop.services.normalize import company_key, person_key

            buyer.company_key = company_key(buyer.company or "")
            buyer.contact_key = person_key(buyer.contact or "")
            self.store.index.set_names(
                buyer.id,
                company=buyer.company,
                contact=buyer.contact,
                company_key=buyer.company_key,
                contact_key=buyer.contact_key,
            )
        if row.owner_id is not None and row.owner_id != buyer.owner_id:
            if buyer.owner_id is None:
                buyer.owner_id = row.owner_id
                buyer.fill("owner")
                changed = True
            else:
                names = self.user_names
                self._conflict(
                    number, buyer, "owner", names.get(buyer.owner_id), names.get(row.owner_id)
                )
        if row.grade and row.grade != buyer.grade:
            if buyer.grade is None:
                self.store.add_grade(
                    buyer, row.grade, at=row.acquired or self.now, reason=self.reason
                )
                buyer.fill("grade")
                changed = True
            else:
                self._conflict(number, buyer, "grade", buyer.grade, row.grade)
        if data.notes and data.notes not in (buyer.notes or ""):
            buyer.notes = f"{buyer.notes}\n{data.notes}" if buyer.notes else data.notes
            buyer.fill("notes")
            changed = True
        if row.acquired and row.acquired < buyer.acquired_at:
            buyer.acquired_at = row.acquired
            self.store.followup_changed(buyer)
            changed = True
        if row.last_contact and (buyer.last_out_at is None or row.last_contact > buyer.last_out_at):
            self.store.add_follow_up(buyer, at=row.last_contact)
            changed = True
        if changed:
            buyer.note_row(number)
            buyer.dirty = buyer.dirty or buyer.stored
        return changed

    def _conflict(self, number: int, buyer: Buyer, name: str, stored: Any, sheet: Any) -> None:
        self.report.conflicts.append(
            {
                "row": number,
                "customer_id": buyer.id,
                "field": name,
                "stored": stored,
                "sheet": sheet,
            }
        )


def _note_added(buyer: Buyer, kind: str, value: str) -> None:
    # For the "import" event of a stored buyer; a created one needs no such record.
    if not buyer.new:
        buyer.note_added(kind, value)


def _same(name: str, buyer: Buyer, row: CleanRow) -> bool:
    if name == "company":
        return buyer.company_key == row.company_key
    if name == "contact":
        return buyer.contact_key == row.contact_key
    stored, value = getattr(buyer, name), getattr(row.data, name)
    return stored.casefold().strip() == value.casefold().strip()  # type: ignore[no-any-return]


def write_error_csv(report: ImportReport, path: Path) -> None:
    """Write the rejected rows as CSV: row, reason, then the row's cells as read.

    UTF-8 with a BOM (Excel opens it with the right characters). A cell that begins
    with = + - @, tab or CR is prefixed with a single quote (OWASP's advice on CSV
    injection), so that no spreadsheet runs it as a formula.
    """
    target = path.expanduser()
    if not target.resolve().parent.is_dir():
        raise NotFound(f"The folder {target.parent} does not exist.")
    temporary = target.with_name(f".{target.name}.partial")
    with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "reason", *(_safe(h) for h in report.headers)])
        for error in report.errors:
            cells = [c if isinstance(c, str) else cell_text(c) for c in error.cells or ()]
            writer.writerow([error.row, _safe(error.reason), *(_safe(c) for c in cells)])
    temporary.replace(target)


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
