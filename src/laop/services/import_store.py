"""The store side of an import: every buyer in memory, and bulk writes in chunks.

An import reads all buyers once (names, contacts, products and the fields a sheet may
fill), keeps the buyers it creates or changes in memory, and writes with one
executemany per table and chunk — never a query per row. Nothing here commits: the
command's one transaction does, so a failed or killed import leaves no trace.
"""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text, update
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
from laop.services.normalize import email_domain, is_free_mail, region_of

__all__ = ["Buyer", "ImportStore"]

FOLLOW_UP_NOTE = "imported: last follow-up from sheet"
SCALARS = ("company", "contact", "country", "city", "nature", "strength", "source")


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
    rows: list[int] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    added: dict[str, list[str]] = field(default_factory=dict)


class ImportStore:
    """Loads every buyer into a BuyerIndex and writes the import's rows in bulk."""

    def __init__(self, session: Session, *, write: bool, actor_id: int, now: datetime) -> None:
        self.session = session
        self.write = write
        self.actor_id = actor_id
        self.now = now
        self.index = BuyerIndex()
        self.buyers: dict[int, Buyer] = {}
        self.refresh: set[int] = set()
        self._pending: dict[str, list[dict[str, Any]]] = {
            "customer": [],
            "contact": [],
            "product": [],
            "grade": [],
            "message": [],
        }
        self._new: list[Buyer] = []
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

    def new_id(self) -> int:
        """An id for a buyer to create.

        PostgreSQL ids come from the table's sequence (reserved in growing blocks, so a
        concurrent `laop inquiry add` never takes one); SQLite holds the write lock.
        """
        if not self.write or self.session.get_bind().dialect.name != "postgresql":
            self._next_id += 1
            return self._next_id - 1
        if not self._ids:
            reserved = self.session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('customer', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": self._block},
            ).scalars()
            self._ids.extend(sorted(reserved))
            self._block = min(self._block * 2, 2048)
        return self._ids.popleft()

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

    def add_contact(self, buyer: Buyer, kind: str, value: str, *, whatsapp: bool) -> None:
        """An e-mail or phone for a buyer (new or stored)."""
        domain = email_domain(value) if kind == "email" else None
        self._pending["contact"].append(
            {
                "customer_id": buyer.id,
                "kind": kind,
                "value": value,
                "domain": None if not domain or is_free_mail(domain) else domain,
                "whatsapp": whatsapp,
                "position": buyer.contacts,
            }
        )
        buyer.contacts += 1
        self.index.add_contact(buyer.id, kind, value)

    def add_product(self, buyer: Buyer, product: str) -> None:
        """A product of interest for a buyer."""
        self._pending["product"].append(
            {"customer_id": buyer.id, "product": product, "position": len(buyer.products)}
        )
        buyer.products.append(product)

    def add_grade(self, buyer: Buyer, grade: str, *, at: datetime, reason: str) -> None:
        """Grade an ungraded buyer, keeping the change in its history (as set_grade does)."""
        self._pending["grade"].append(
            {
                "customer_id": buyer.id,
                "old_grade": buyer.grade,
                "new_grade": grade,
                "reason": reason,
                "user_id": self.actor_id,
                "at": at,
            }
        )
        buyer.grade = grade
        self.refresh.add(buyer.id)

    def add_follow_up(self, buyer: Buyer, *, at: datetime) -> None:
        """The sheet's last follow-up, as an outbound e-mail we wrote (not automatic)."""
        self._pending["message"].append(
            {
                "customer_id": buyer.id,
                "channel": "email",
                "direction": "out",
                "kind": "follow-up",
                "auto": False,
                "note": FOLLOW_UP_NOTE,
                "user_id": buyer.owner_id or self.actor_id,
                "at": at,
                "created_at": self.now,
            }
        )
        buyer.last_out_at = at
        # Acquisition is the first contact, as when a message is logged.
        buyer.acquired_at = min(buyer.acquired_at, at)
        self.refresh.add(buyer.id)

    # ------------------------------------------------------------------ writing

    def flush(self) -> None:
        """Write the buyers created so far and every pending contact, grade and message."""
        for buyer in self._new:
            self._pending["customer"].append(_customer_row(buyer, self.now))
            buyer.stored = True
        self._new.clear()
        tables: list[tuple[str, Any]] = [
            ("customer", Customer),
            ("contact", CustomerContact),
            ("product", CustomerProduct),
            ("grade", GradeChange),
            ("message", Message),
        ]
        for key, model in tables:
            rows = self._pending[key]
            if rows and self.write:
                self.session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
            rows.clear()

    def finish(self, *, file_name: str) -> None:
        """Flush, update the stored buyers that changed, and log an event on each."""
        self.flush()
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
                    "rows": b.rows,
                    "filled": list(dict.fromkeys(b.filled)),
                    **b.added,
                },
                "user_id": self.actor_id,
                "at": self.now,
            }
            for b in changed
        ]
        for start in range(0, len(events), 2000):
            self.session.execute(insert(CustomerEvent.__table__), events[start : start + 2000])  # type: ignore[attr-defined]


def _customer_row(buyer: Buyer, now: datetime) -> dict[str, Any]:
    return {
        "id": buyer.id,
        "company": buyer.company,
        "contact": buyer.contact,
        "country": buyer.country,
        "city": buyer.city,
        "region": region_of(buyer.country).value if buyer.country else None,
        "nature": buyer.nature,
        "strength": buyer.strength,
        "source": buyer.source,
        "grade": buyer.grade,
        "notes": buyer.notes,
        "owner_id": buyer.owner_id,
        "company_key": buyer.company_key,
        "contact_key": buyer.contact_key,
        "acquired_at": buyer.acquired_at,
        "created_at": now,
        "updated_at": now,
        "last_contact_at": None,
        "last_out_at": None,
        "last_out_day": None,
        "last_in_channel": None,
        "awaiting_since": None,
        "due_on": None,
    }


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
