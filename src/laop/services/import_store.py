"""The store side of an import: every buyer in memory, and bulk writes in chunks.

An import reads all buyers once (names, contacts, products and the fields a sheet may
fill), keeps the buyers it creates or changes in memory, and writes each chunk of
rows with a few statements per table — never a query per row. Nothing here commits: the
command's one transaction does, so a failed or killed import leaves no trace.

The new rows go straight to the driver (INSERTs of many rows each on SQLite, COPY on
PostgreSQL) on the session's connection, as tuples whose values are converted once, the
way SQLAlchemy would bind them (instants as naive UTC; on SQLite as SQLAlchemy's text
form): SQLAlchemy's per-parameter processing cost more than the writing itself. A
chunk is written by a second thread while the import goes on with the next (the store
waits for it before writing again, before asking for ids, and before finishing). The
buyers an import creates get their follow-up state (cadence.followup_state) as they
are written, so that only the stored buyers it changed are refreshed afterwards; the
dates of a buyer created as its row says are prepared with the row (preparer), where
the row is cleaned.
"""

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, insert, text, update
from sqlmodel import Session, func, select

from laop.models import (
    Customer,
    CustomerContact,
    CustomerEvent,
    CustomerProduct,
    GradeChange,
    Message,
)
from laop.services.buyer_index import BuyerIndex
from laop.services.import_rows import (
    ACQUIRED,
    EMAILS,
    PHONES,
    Packed,
    moment,
)
from laop.services.normalize import region_of

if TYPE_CHECKING:
    from laop.services.import_dates import Preparer

__all__ = ["Buyer", "ImportStore", "bind_converters", "write_rows"]

FOLLOW_UP_NOTE = "imported: last follow-up from sheet"
SCALARS = ("company", "contact", "country", "city", "nature", "strength", "source")

MAX_ID_BLOCK = 2048  # PostgreSQL customer ids reserved at once, at most
IMPORT_CACHE_KIB = 16 * 1024  # SQLite page cache while an import writes
INDEX_CACHE_KIB = 64 * 1024  # and while it builds the indexes it set aside again
MAX_ROWS_PER_INSERT = 500  # rows of one SQLite INSERT (fewer when they have many columns)
# An import of at least this many rows sets aside the secondary indexes of each table
# holding no more rows than that (SQLite), and builds them again when it is done.
BULK_ROWS = 10_000

# The columns each kind of new row fills, in the order of its tuples.
CUSTOMER_COLUMNS = (
    "id",
    "company",
    "contact",
    "country",
    "city",
    "region",
    "nature",
    "strength",
    "source",
    "grade",
    "notes",
    "owner_id",
    "company_key",
    "contact_key",
    "acquired_at",
    "created_at",
    "updated_at",
    "last_contact_at",
    "last_out_at",
    "last_out_day",
    "last_in_channel",
    "awaiting_since",
    "due_on",
)
CONTACT_COLUMNS = ("customer_id", "kind", "value", "domain", "whatsapp", "position")
PRODUCT_COLUMNS = ("customer_id", "product", "position")
GRADE_COLUMNS = ("customer_id", "old_grade", "new_grade", "reason", "user_id", "at")
MESSAGE_COLUMNS = (
    "customer_id",
    "channel",
    "direction",
    "kind",
    "auto",
    "note",
    "user_id",
    "at",
    "created_at",
)


@dataclass(slots=True)
class Buyer:
    """A buyer as the import sees it: stored fields plus what this import changed."""

    id: int
    company: str | None
    contact: str | None
    country: str | None
    city: str | None
    nature: str | None
    strength: str | None
    source: str | None
    grade: str | None
    owner_id: int | None
    notes: str | None
    acquired_at: datetime
    last_out_at: datetime | None
    company_key: str = ""
    contact_key: str = ""
    products: list[str] = field(default_factory=list)
    contacts: int = 0
    new: bool = False  # created by this import
    stored: bool = True  # its row is in the database (changes need an UPDATE)
    dirty: bool = False
    # A created buyer's dates as its row is to be written (ImportStore.preparer), while
    # nothing changed them since.
    prepared: tuple[Any, ...] | None = None
    # What this import did to a stored buyer, for its "import" event; made when first
    # needed (most buyers of a big import are created, and need none).
    rows: list[int] | None = None
    filled: list[str] | None = None
    added: dict[str, list[str]] | None = None

    def note_row(self, number: int) -> None:
        """A sheet row that changed the buyer."""
        if self.rows is None:
            self.rows = []
        self.rows.append(number)

    def fill(self, name: str) -> None:
        """A field the sheet filled in."""
        if self.filled is None:
            self.filled = []
        self.filled.append(name)

    def note_added(self, kind: str, value: str) -> None:
        """An e-mail, phone or product the sheet added."""
        if self.added is None:
            self.added = {}
        self.added.setdefault(kind, []).append(value)


def _kept(row: Packed, owner_id: int) -> tuple[Any, ...]:
    """What _made needs of a created buyer's sheet row, and no more: the
    Buyer's fields in its order up to the notes, the row's two instants, its keys,
    its products and how many e-mails and phones it has."""
    (
        company,
        contact,
        emails,
        phones,
        country,
        city,
        nature,
        source,
        strength,
        products,
        notes,
        company_key,
        contact_key,
        grade,
        _owner,
        acquired,
        last,
        *_rest,
    ) = row
    return (
        company,
        contact,
        country,
        city,
        nature,
        strength,
        source,
        grade or None,
        owner_id,
        notes,
        acquired,
        last,
        company_key,
        contact_key,
        products,
        len(emails) + len(phones),
    )


def _made(now: datetime, buyer_id: int, kept: tuple[Any, ...], *, stored: bool = True) -> Buyer:
    """The Buyer create() kept the makings of (_kept); ``now``: the import's start.

    ``stored``: its row is among those written (or to be, as made by create()):
    a change from now on is written by an UPDATE, as for a buyer found stored.
    """
    (
        company,
        contact,
        country,
        city,
        nature,
        strength,
        source,
        grade,
        owner_id,
        notes,
        acquired,
        last,
        company_key,
        contact_key,
        products,
        contacts,
    ) = kept
    acquired_at = now if acquired is None else moment(acquired)
    last_contact = None if last is None else moment(last)
    return Buyer(
        buyer_id,
        company,
        contact,
        country,
        city,
        nature,
        strength,
        source,
        grade,
        owner_id,
        notes,
        acquired_at
        if last_contact is None or acquired_at <= last_contact
        else last_contact,  # the earlier, as min() gives it (with less to do)
        last_contact,
        company_key,
        contact_key,
        list(products),
        contacts,
        True,  # new
        stored,
    )


class _Buyers(dict[int, Buyer]):
    """The import's buyers by id; one create() recorded (``created``) is made when first
    asked for (_made, with the import's start ``now``), and kept.

    It holds nothing of the store: a reference back would make a cycle, which only the
    garbage collector frees (a hundred thousand buyers: a pass of ~0.3 s at the end).
    """

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.created: dict[int, tuple[Any, ...]] = {}
        self._now = now

    def __missing__(self, buyer_id: int) -> Buyer:
        buyer = self[buyer_id] = _made(self._now, buyer_id, self.created.pop(buyer_id))
        return buyer


class ImportStore:
    """Loads every buyer into a BuyerIndex and writes the import's rows in bulk."""

    def __init__(self, session: Session, *, write: bool, actor_id: int, now: datetime) -> None:
        self.session = session
        self.write = write
        self.actor_id = actor_id
        self.now = now
        self.buyers = _Buyers(now)
        # Candidates show the buyers themselves (a buyer is in ``buyers`` before the
        # index files it, and a filled-in name is filed again).
        self.index = BuyerIndex(refs=self.buyers)
        # Stored buyers whose follow-up state must be derived again after the import.
        self.refresh: set[int] = set()
        self.dialect = session.get_bind().dialect.name
        self._convert, self._day = bind_converters(self.dialect)
        self._now = self._convert(now)
        # Instants converted during a chunk: a row's dates recur in its buyer, grade
        # change and message.
        self._converted: dict[datetime | None, Any] = {}
        self._pending: dict[str, list[tuple[Any, ...]]] = {
            "customer": [],
            "contact": [],
            "product": [],
            "grade": [],
            "message": [],
        }
        self._new: list[Buyer] = []
        # Outbound messages of the buyers in _new (their follow-up state is derived
        # from them as they are written).
        self._sent: dict[int, list[datetime]] = {}
        self._regions: dict[str, str] = {}
        self._cadence: tuple[Any, Any, Any, dict[str, int]] | None = None
        self._cache_size: int | None = None  # the connection's, while the import's is set
        self._set_aside: list[str] = []  # the statements that create the dropped indexes
        self._writer: ThreadPoolExecutor | None = None
        self._writing: Future[None] | None = None
        self._ids: deque[int] = deque()
        self._block = 16
        self._next_id = 0

    # ------------------------------------------------------------------ reading

    def load(self) -> None:
        """Read every stored buyer, its contacts and products (three queries)."""
        columns = [
            Customer.id,
            Customer.company,
            Customer.contact,
            Customer.country,
            Customer.city,
            Customer.nature,
            Customer.strength,
            Customer.source,
            Customer.grade,
            Customer.owner_id,
            Customer.notes,
            Customer.acquired_at,
            Customer.last_out_at,
            Customer.company_key,
            Customer.contact_key,
        ]
        stream = self.session.execute(
            select(*columns).execution_options(yield_per=5000)  # type: ignore[type-var]
        )
        for row in stream:
            buyer = Buyer(*row)
            self.buyers[buyer.id] = buyer
            self.index.set_names(
                buyer.id,
                company=buyer.company,
                contact=buyer.contact,
                company_key=buyer.company_key,
                contact_key=buyer.contact_key,
            )
        contacts = select(CustomerContact.customer_id, CustomerContact.kind, CustomerContact.value)
        for customer_id, kind, value in self.session.execute(
            contacts.execution_options(yield_per=5000)
        ):
            self.index.add_contact(customer_id, kind, value)
            self.buyers[customer_id].contacts += 1
        products = select(CustomerProduct.customer_id, CustomerProduct.product).order_by(
            CustomerProduct.customer_id,  # type: ignore[arg-type]
            CustomerProduct.position,  # type: ignore[arg-type]
        )
        for customer_id, product in self.session.execute(
            products.execution_options(yield_per=5000)
        ):
            self.buyers[customer_id].products.append(product)
        self._next_id = (self.session.exec(select(func.max(Customer.id))).one() or 0) + 1

    def begin(self, *, rows: int) -> None:
        """Make ready to write about ``rows`` sheet rows (after load, before any row)."""
        self._small_cache()
        self._set_indexes_aside(rows)

    def _small_cache(self) -> None:
        """Keep SQLite's page cache small while this import writes.

        An import writes each page once and reads back only its own few; the large
        cache laop gives every connection (for reports) would only hold a copy of
        what it wrote. The connection's own size is restored by close().
        """
        if self.dialect != "sqlite" or not self.write or self._cache_size is not None:
            return
        connection = self.session.connection()
        self._cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")

    def _set_indexes_aside(self, rows: int) -> None:
        """Drop the secondary indexes of the tables a large import will at least double.

        SQLite builds an index from all its rows at once (one sort) for a fraction of
        what inserting each new row into every index costs as it comes. The drop is part
        of the import's transaction, so a failed or killed import rolls it back with the
        rest; finish() creates each index again with the statement SQLite kept for it,
        so it comes back exactly as the migrations made it. Indexes that enforce a
        UNIQUE constraint (they have no statement) stay.
        """
        if self.dialect != "sqlite" or not self.write or rows < BULK_ROWS:
            return
        connection = self.session.connection()
        quote = connection.dialect.identifier_preparer.quote
        for _key, model, _columns in _TABLES:
            table = model.__table__.name
            stored = connection.exec_driver_sql(f"SELECT count(*) FROM {quote(table)}").scalar()
            if stored > rows:
                continue  # rebuilding its indexes would cost more than keeping them
            indexes = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY name",
                (table,),
            ).all()
            for name, statement in indexes:
                connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
                self._set_aside.append(statement)

    def _restore_indexes(self) -> None:
        """Create the indexes _set_indexes_aside dropped (the writer is idle).

        Each index reads its whole table: with a cache that holds the largest table
        (a 100,000-buyer import writes some 30 MB of customer rows), only the first
        index of a table reads its pages from the file, not every one of them.
        """
        if not self._set_aside:
            return
        connection = self.session.connection()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{INDEX_CACHE_KIB}")
        for statement in self._set_aside:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        self._set_aside = []

    def new_id(self) -> int:
        """An id for a buyer to create.

        PostgreSQL ids come from the table's sequence (reserved in growing blocks, so a
        concurrent `laop inquiry add` never takes one); SQLite holds the write lock.
        """
        if not self.write or self.dialect != "postgresql":
            self._next_id += 1
            return self._next_id - 1
        if not self._ids:
            self._wait()  # the connection is the writer's until then
            self._reserve()
        return self._ids.popleft()

    def _reserve(self) -> None:
        reserved = self.session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('customer', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": self._block},
        ).scalars()
        self._ids.extend(sorted(reserved))
        self._block = min(self._block * 2, MAX_ID_BLOCK)

    # ------------------------------------------------------------------ recording

    def add_buyer(self, buyer: Buyer) -> None:
        """A buyer to create (written at the next flush)."""
        buyer.new, buyer.stored = True, False
        self.buyers[buyer.id] = buyer
        self._new.append(buyer)
        self.index.set_names(
            buyer.id,
            company=buyer.company,
            contact=buyer.contact,
            company_key=buyer.company_key,
            contact_key=buyer.contact_key,
        )

    def preparer(self) -> "Preparer | None":
        """``prepare(grade, acquired, last_contact)`` of a sheet row, for create().

        What create() and the buyer's row need of a buyer the row creates (see
        import_dates), worked out where the row is cleaned (the cleaning process of a
        large import), which leaves the importing process less to do per row. None
        when nothing is written.
        """
        if not self.write:
            return None
        from laop.services.import_dates import Preparer

        _state, _entry, tz, intervals = self._followup()
        return Preparer(
            tz=tz,
            intervals=intervals,
            convert=self._convert,
            day=self._day,
            now=self.now,
            sqlite=self.dialect == "sqlite",
        )

    def create(self, row: Packed, *, owner_id: int, reason: str) -> int:
        """A buyer to create from a sheet row (packed, import_rows.pack), with all it brings.

        Records what add_buyer, add_contact (each e-mail, then each phone: a cleaned row
        lists each once), add_product, add_grade (at the acquisition) and add_follow_up
        (at the last follow-up) would, in that order, in one step: most rows of a large
        import create a buyer. The row's acquisition is the import's start when it has
        none; its prepared values are what preparer() gave for its grade, acquisition
        and last follow-up (None: worked out here). ``owner_id``: the row's owner or the
        import's default one. Returns the buyer's id.

        With its prepared values, the buyer's own row is made here too, from the sheet
        row, and the Buyer only when something asks for it (buyers, _made): most
        buyers a large import creates are never looked at again.
        """
        (
            company,
            contact,
            emails,
            phones,
            country,
            city,
            nature,
            source,
            strength,
            products,
            notes,
            company_key,
            contact_key,
            grade,
            _owner,
            _acquired,
            _last,
            prepared,
            domains,
            _numbers,
        ) = row
        buyer_id = self.new_id()
        index = self.index
        if domains is None:  # not worked out with the row
            domains = tuple(map(index.company_domain, emails))
        index.file_new(
            buyer_id, company, contact, company_key, contact_key, emails, domains, phones
        )
        if prepared is None:
            self._create_buyer(row, buyer_id, owner_id, reason, domains)
            return buyer_id
        self.buyers.created[buyer_id] = _kept(row, owner_id)
        grade = grade or None
        if not self.write:
            return buyer_id
        first, graded_at, sent_at, last_day, due = prepared
        now = self._now
        self._pending["customer"].append(
            (
                buyer_id,
                company,
                contact,
                country,
                city,
                self._region(country),
                nature,
                strength,
                source,
                grade,
                notes,
                owner_id,
                company_key,
                contact_key,
                first,
                now,
                now,
                sent_at,  # the last contact: the follow-up, the buyer's one message
                sent_at,  # the last outbound one
                last_day,
                None,  # no inbound message
                None,  # so nothing awaits a reply
                due,
            )
        )
        self._pending_rows(
            buyer_id, emails, domains, phones, products, grade, owner_id, reason, graded_at, sent_at
        )
        return buyer_id

    def _create_buyer(
        self,
        row: Packed,
        buyer_id: int,
        owner_id: int,
        reason: str,
        domains: Sequence[str | None],
    ) -> None:
        """create() of a row without prepared values: the Buyer, whose row is made
        (and follow-up state derived) as it is written."""
        buyer = _made(self.now, buyer_id, _kept(row, owner_id), stored=False)
        self.buyers[buyer_id] = buyer
        self._new.append(buyer)
        last_contact = buyer.last_out_at
        if last_contact is not None:
            self._sent[buyer_id] = [last_contact]
        if not self.write:
            return
        acquired = self.now if row[ACQUIRED] is None else moment(row[ACQUIRED])
        self._pending_rows(
            buyer_id,
            row[EMAILS],
            domains,
            row[PHONES],
            buyer.products,
            buyer.grade,
            owner_id,
            reason,
            self._instant(acquired) if buyer.grade else None,
            self._instant(last_contact),
        )

    def _pending_rows(
        self,
        buyer_id: int,
        emails: list[str],
        domains: Sequence[str | None],
        phones: list[tuple[str, bool]],
        products: list[str],
        grade: str | None,
        owner_id: int,
        reason: str,
        graded_at: Any,
        sent_at: Any,
    ) -> None:
        """The contact, product, grade and follow-up rows of a buyer create() records
        (``graded_at``, ``sent_at``: bound values; None: no grade, no follow-up)."""
        if emails or phones:
            contacts = self._pending["contact"]
            position = 0
            for email, domain in zip(emails, domains):  # noqa: B905 (one per e-mail; a keyword makes zip slow)
                contacts.append((buyer_id, "email", email, domain, False, position))
                position += 1
            for phone, whatsapp in phones:
                contacts.append((buyer_id, "phone", phone, None, whatsapp, position))
                position += 1
        if len(products) == 1:  # as most rows have
            self._pending["product"].append((buyer_id, products[0], 0))
        elif products:
            self._pending["product"].extend(
                [(buyer_id, product, at) for at, product in enumerate(products)]
            )
        if grade:
            self._pending["grade"].append((buyer_id, None, grade, reason, self.actor_id, graded_at))
        if sent_at is not None:
            self._pending["message"].append(self._follow_up(buyer_id, owner_id, sent_at))

    def _follow_up(self, buyer_id: int, owner_id: int | None, at: Any) -> tuple[Any, ...]:
        """The message row of the sheet's last follow-up (``at``: its bound value)."""
        return (
            buyer_id,
            "email",
            "out",
            "follow-up",
            False,
            FOLLOW_UP_NOTE,
            owner_id or self.actor_id,
            at,
            self._now,
        )

    def _region(self, country: str | None) -> str | None:
        """The market region stored with a country (None without one)."""
        if not country:
            return None
        region = self._regions.get(country)
        if region is None:
            region = self._regions[country] = region_of(country).value
        return region

    def add_contact(self, buyer: Buyer, kind: str, value: str, *, whatsapp: bool) -> None:
        """An e-mail or phone for a buyer (new or stored)."""
        domain = self.index.add_contact(buyer.id, kind, value)
        if self.write:
            self._pending["contact"].append(
                (buyer.id, kind, value, domain, whatsapp, buyer.contacts)
            )
        buyer.contacts += 1

    def add_product(self, buyer: Buyer, product: str) -> None:
        """A product of interest for a buyer."""
        if self.write:
            self._pending["product"].append((buyer.id, product, len(buyer.products)))
        buyer.products.append(product)

    def add_grade(self, buyer: Buyer, grade: str, *, at: datetime, reason: str) -> None:
        """Grade an ungraded buyer, keeping the change in its history (as set_grade does)."""
        if self.write:
            self._pending["grade"].append(
                (buyer.id, buyer.grade, grade, reason, self.actor_id, self._instant(at))
            )
        buyer.grade = grade
        self.followup_changed(buyer)

    def add_follow_up(self, buyer: Buyer, *, at: datetime) -> None:
        """The sheet's last follow-up, as an outbound e-mail we wrote (not automatic)."""
        if self.write:
            self._pending["message"].append(
                self._follow_up(buyer.id, buyer.owner_id, self._instant(at))
            )
        buyer.last_out_at = at
        # Acquisition is the first contact, as when a message is logged.
        buyer.acquired_at = min(buyer.acquired_at, at)
        if not buyer.stored:
            self._sent.setdefault(buyer.id, []).append(at)
        self.followup_changed(buyer)

    def _instant(self, value: datetime | None) -> Any:
        if value is None:
            return None
        found = self._converted.get(value)
        if found is None:
            found = self._converted[value] = self._convert(value)
        return found

    def followup_changed(self, buyer: Buyer) -> None:
        """Note that the buyer's grade, acquisition or log changed.

        A buyer still to be written gets its state as it is written; a stored one is
        refreshed after the import (refresh_followup).
        """
        buyer.prepared = None  # derived again as it is written
        if buyer.stored:
            self.refresh.add(buyer.id)

    # ------------------------------------------------------------------ writing

    def flush(self) -> None:
        """Write the buyers created so far and every pending contact, grade and message."""
        self._flush(more=True)

    def _flush(self, *, more: bool) -> None:
        # ``more``: rows will follow (so ids for them may be reserved meanwhile).
        if self.write and self._new:
            row, followup = self._customer_row, self._followup()
            self._pending["customer"].extend([row(buyer, *followup) for buyer in self._new])
        for buyer in self._new:
            buyer.stored = True
            buyer.prepared = None  # written: a hundred thousand of them add up
        self._new.clear()
        self._sent.clear()
        self._converted.clear()
        batches = []
        for key, model, columns in _TABLES:
            rows = self._pending[key]
            if rows and self.write:
                batches.append((model.__table__, columns, rows))
                self._pending[key] = []
            else:
                rows.clear()
        if not batches:
            return
        self._wait()
        if more and self.dialect == "postgresql" and self._block == MAX_ID_BLOCK and not self._ids:
            # A big import: the next chunk's ids now, so that it never waits for the
            # writer to ask the sequence.
            self._reserve()
        connection = self.session.connection()
        # The database works on one chunk while the next is being read (SQLite: the
        # GIL is released for the whole of each statement of many rows, see write_rows;
        # PostgreSQL: the server's work).
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="laop-import-writer")
        self._writing = self._writer.submit(_write_batches, connection, batches)

    def _wait(self) -> None:
        """Wait for the chunk being written; raise what writing it raised."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def close(self) -> None:
        """Wait for any chunk still being written (after an error: its own is moot)."""
        try:
            self._wait()
        except Exception:
            pass  # the import is failing already
        finally:
            if self._writer is not None:
                self._writer.shutdown()
                self._writer = None
            if self._cache_size is not None:
                size, self._cache_size = self._cache_size, None
                self.session.connection().exec_driver_sql(f"PRAGMA cache_size = {int(size)}")

    def _followup(self) -> tuple[Any, Any, Any, dict[str, int]]:
        """What deriving a new buyer's follow-up state takes (read once)."""
        if self._cadence is None:
            from laop.services.cadence import cadence_days, followup_state
            from laop.services.clock import business_tz
            from laop.services.replies import LogEntry

            tz = business_tz(self.session)
            self._cadence = (followup_state, LogEntry, tz, cadence_days(self.session))
        return self._cadence

    def _customer_row(
        self, buyer: Buyer, followup_state: Any, entry: Any, tz: Any, intervals: dict[str, int]
    ) -> tuple[Any, ...]:
        prepared = buyer.prepared
        if prepared is not None:
            acquired, _graded, last, last_day, due = prepared
            follow_up = (last, last, last_day, None, None, due)
        else:
            # The import writes only outbound messages to the buyers it creates, which
            # open no reply clock; a new buyer has no inquiry yet.
            state = followup_state(
                [entry(0, at, "out", "email", False) for at in self._sent.get(buyer.id, ())],
                clocks=(),
                grade=buyer.grade,
                acquired_at=buyer.acquired_at,
                first_open=None,
                tz=tz,
                intervals=intervals,
            )
            instant, day = self._instant, self._day
            acquired = instant(buyer.acquired_at)
            follow_up = (
                instant(state["last_contact_at"]),
                instant(state["last_out_at"]),
                day(state["last_out_day"]),
                state["last_in_channel"],
                instant(state["awaiting_since"]),
                day(state["due_on"]),
            )
        country = buyer.country
        region = self._region(country)
        return (
            buyer.id,
            buyer.company,
            buyer.contact,
            country,
            buyer.city,
            region,
            buyer.nature,
            buyer.strength,
            buyer.source,
            buyer.grade,
            buyer.notes,
            buyer.owner_id,
            buyer.company_key,
            buyer.contact_key,
            acquired,
            self._now,
            self._now,
            *follow_up,
        )

    def finish(self, *, file_name: str) -> None:
        """Flush, update the stored buyers that changed, and log an event on each."""
        self._flush(more=False)
        self._wait()
        # Before anything reads the tables again (the updates below, refresh_followup).
        self._restore_indexes()
        changed = [b for b in self.buyers.values() if b.dirty and not b.new]
        touched = [b for b in self.buyers.values() if b.dirty]
        if not self.write:
            return
        for start in range(0, len(touched), 2000):
            self.session.execute(
                update(Customer),
                [_update_row(b, self.now) for b in touched[start : start + 2000]],
            )
        events = [
            {
                "customer_id": b.id,
                "kind": "import",
                "detail": {
                    "file": file_name,
                    "rows": b.rows or [],
                    "filled": list(dict.fromkeys(b.filled or ())),
                    **(b.added or {}),
                },
                "user_id": self.actor_id,
                "at": self.now,
            }
            for b in changed
        ]
        for start in range(0, len(events), 2000):
            self.session.execute(insert(CustomerEvent.__table__), events[start : start + 2000])  # type: ignore[attr-defined]


_TABLES: list[tuple[str, Any, tuple[str, ...]]] = [
    ("customer", Customer, CUSTOMER_COLUMNS),
    ("contact", CustomerContact, CONTACT_COLUMNS),
    ("product", CustomerProduct, PRODUCT_COLUMNS),
    ("grade", GradeChange, GRADE_COLUMNS),
    ("message", Message, MESSAGE_COLUMNS),
]


def bind_converters(
    dialect: str,
) -> tuple[Callable[[datetime | None], Any], Callable[[date | None], Any]]:
    """Converters of instants and days to what SQLAlchemy hands the driver.

    Instants are stored as naive UTC (models.UTCDateTime); SQLite keeps them, and days,
    as the text SQLAlchemy's SQLite types write ("2026-03-05 04:00:00.000000").
    """
    if dialect == "sqlite":
        return _sqlite_instant, _sqlite_day
    return _naive_utc, _same


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat(" ", "microseconds")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # The text before the offset ("+00:00"): a year always has four digits.
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _same(value: Any) -> Any:
    return value


def write_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples of bound values in ``columns`` order) with the driver.

    COPY on PostgreSQL. On SQLite a few INSERTs of many rows each (``VALUES (…), (…)``,
    as many rows as SQLite's limit on parameters allows, in order, so ids are given as
    executemany gives them): the driver binds a statement's values at C speed and then
    releases the GIL for all of its work, where executemany takes it back for each row
    (and a writer thread would wait for it each time). A column with one value in every
    row of a statement is bound once (NULL is written as such): the driver binds None
    and booleans slowly, and most imported rows share their times, notes and flags.
    On the connection's transaction.
    """
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    target = connection.dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            return
        per = max(1, min(MAX_ROWS_PER_INSERT, _variable_limit(connection) // len(columns)))
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            shape = tuple(_kind(values) for values in zip(*part, strict=True))
            varying = [i for i, kind in enumerate(shape) if kind == _EACH]
            if len(varying) == len(shape):
                kept = list(chain.from_iterable(part))  # every column varies: rows as they are
            else:
                # The first row's values in order, NULLs left out; the others' varying ones.
                kept = [v for v, kind in zip(part[0], shape, strict=True) if kind != _NULL]
                if len(varying) > 1:
                    kept += chain.from_iterable(map(itemgetter(*varying), part[1:]))
                elif varying:
                    kept += map(itemgetter(varying[0]), part[1:])
            cursor.execute(_insert(target, names, shape, len(part)), kept)
    finally:
        cursor.close()


_EACH, _ONCE, _NULL = 0, 1, 2  # a column's values in one INSERT: bound per row, once, NULL


def _kind(values: tuple[Any, ...]) -> int:
    first = values[0]
    if values[-1] != first:
        return _EACH  # as most columns: known without a pass over them all
    # Equal and of one type (1 == True, but SQLite stores them alike anyway).
    if values.count(first) != len(values) or len(set(map(type, values))) != 1:
        return _EACH
    return _NULL if first is None else _ONCE


@lru_cache(maxsize=64)
def _insert(target: str, names: str, shape: tuple[int, ...], count: int) -> str:
    """The INSERT of ``count`` rows whose columns are bound as ``shape`` says.

    The parameters are numbered in the order of their first place: the first row's
    (its columns bound once among them), then the others' varying columns. Only the
    ones bound once are written with their number ("?3"), where the other rows repeat
    them: SQLite looks each "?NNN" up in a list of the numbered ones while it prepares
    the statement, and with every parameter numbered that took as long as binding
    and writing the rows (a tenth of a second for some thousands of parameters).
    """
    once: dict[int, str] = {}
    first: list[str] = []
    for column, kind in enumerate(shape):
        if kind == _ONCE:
            once[column] = f"?{len(first) + 1}"
            first.append(once[column])
        elif kind == _EACH:
            first.append("?")
    marks = iter(first)
    rows = [", ".join(next(marks) if kind != _NULL else "NULL" for kind in shape)]
    other = ", ".join(
        "?" if kind == _EACH else once.get(column, "NULL") for column, kind in enumerate(shape)
    )
    rows += [other] * (count - 1)
    return f"INSERT INTO {target} ({names}) VALUES ({'), ('.join(rows)})"


def _variable_limit(connection: Connection) -> int:
    """How many parameters one SQLite statement may have (999 before SQLite 3.32)."""
    import sqlite3

    driver = connection.connection.dbapi_connection
    try:
        return int(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))  # type: ignore[union-attr]
    except (AttributeError, sqlite3.Error):
        return 999


def _write_batches(connection: Connection, batches: list[tuple[Table, Any, Any]]) -> None:
    for table, columns, rows in batches:
        write_rows(connection, table, columns, rows)


def _update_row(buyer: Buyer, now: datetime) -> dict[str, Any]:
    row = {name: getattr(buyer, name) for name in SCALARS}
    row.update(
        id=buyer.id,
        region=region_of(buyer.country).value if buyer.country else None,
        grade=buyer.grade,
        owner_id=buyer.owner_id,
        notes=buyer.notes,
        company_key=buyer.company_key,
        contact_key=buyer.contact_key,
        acquired_at=buyer.acquired_at,
        updated_at=now,
    )
    return row
