"""Buyers: create, find by reference, edit, merge, and their JSON shape."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, func, select

from laop.enums import Grade, Nature, Source, parse_enum
from laop.errors import AmbiguousError, ConflictError, InvalidInput, NotFound
from laop.models import (
    Customer,
    CustomerContact,
    CustomerEvent,
    CustomerProduct,
    GradeChange,
    Inquiry,
    Message,
    ReplyClock,
    User,
    utcnow,
)

__all__ = [
    "CustomerInput",
    "add_customer",
    "customer_views",
    "edit_customer",
    "get_customer",
    "list_customers",
    "merge_customers",
]

# Fields a later, emptier record may fill in but never silently overwrite.
SCALAR_FIELDS = ("company", "contact", "country", "city", "nature", "strength", "source", "notes")


@dataclass
class CustomerInput:
    """Customer fields as a user or a sheet gives them, before normalisation."""

    company: str | None = None
    contact: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    whatsapp: list[str] = field(default_factory=list)
    country: str | None = None
    city: str | None = None
    nature: str | None = None
    source: str | None = None
    strength: str | None = None
    products: list[str] = field(default_factory=list)
    notes: str | None = None

    def cleaned(self) -> "CleanCustomer":
        """Normalise every field; raise InvalidInput naming the first bad value."""
        from laop.services.normalize import normalize_country, normalize_email, normalize_phone

        country = normalize_country(self.country) if _text(self.country) else None
        phones = [(normalize_phone(p, country=country), False) for p in self.phones if _text(p)]
        phones += [(normalize_phone(p, country=country), True) for p in self.whatsapp if _text(p)]
        return CleanCustomer(
            company=_text(self.company),
            contact=_text(self.contact),
            emails=_unique(normalize_email(e) for e in self.emails if _text(e)),
            phones=phones,
            country=country,
            city=_text(self.city),
            nature=parse_enum(Nature, self.nature, what="nature").value
            if _text(self.nature)
            else None,
            source=parse_enum(Source, self.source, what="source").value
            if _text(self.source)
            else None,
            strength=_text(self.strength),
            products=_unique(p.strip() for p in self.products if _text(p)),
            notes=_text(self.notes),
        )


@dataclass
class CleanCustomer:
    company: str | None
    contact: str | None
    emails: list[str]
    phones: list[tuple[str, bool]]  # (E.164, is WhatsApp)
    country: str | None
    city: str | None
    nature: str | None
    source: str | None
    strength: str | None
    products: list[str]
    notes: str | None

    def is_empty(self) -> bool:
        return not (self.company or self.contact or self.emails or self.phones)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(values))


def add_customer(
    session: Session,
    *,
    data: CleanCustomer,
    owner: User | None,
    acquired_at: datetime | None = None,
) -> Customer:
    """Create a buyer from already-cleaned fields (no duplicate check: see intake)."""
    from laop.services.normalize import company_key, person_key, region_of

    if data.is_empty():
        raise InvalidInput("A customer needs at least a company, a contact, an e-mail or a phone.")
    now = utcnow()
    customer = Customer(
        company=data.company,
        contact=data.contact,
        country=data.country,
        city=data.city,
        region=region_of(data.country).value if data.country else None,
        nature=data.nature,
        strength=data.strength,
        source=data.source,
        notes=data.notes,
        owner_id=owner.id if owner else None,
        company_key=company_key(data.company or ""),
        contact_key=person_key(data.contact or ""),
        acquired_at=acquired_at or now,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    _add_contacts(session, customer, data)
    return customer


def _add_contacts(session: Session, customer: Customer, data: CleanCustomer) -> None:
    from laop.services.normalize import email_domain, is_free_mail

    stored = {
        (c.kind, c.value): c
        for c in session.exec(
            select(CustomerContact).where(CustomerContact.customer_id == customer.id)
        )
    }
    existing = set(stored)
    position = len(existing)
    for email in data.emails:
        if ("email", email) in existing:
            continue
        domain = email_domain(email)
        session.add(
            CustomerContact(
                customer_id=customer.id,
                kind="email",
                value=email,
                domain=None if is_free_mail(domain) else domain,
                position=position,
            )
        )
        existing.add(("email", email))
        position += 1
    for phone, whatsapp in data.phones:
        if ("phone", phone) in existing:
            known = stored.get(("phone", phone))
            if whatsapp and known is not None and not known.whatsapp:
                # A number first given as a phone turns out to be on WhatsApp too.
                known.whatsapp = True
                session.add(known)
            continue
        session.add(
            CustomerContact(
                customer_id=customer.id,
                kind="phone",
                value=phone,
                whatsapp=whatsapp,
                position=position,
            )
        )
        existing.add(("phone", phone))
        position += 1
    products = set(
        session.exec(
            select(CustomerProduct.product).where(CustomerProduct.customer_id == customer.id)
        )
    )
    for index, product in enumerate(data.products, start=len(products)):
        if product not in products:
            session.add(CustomerProduct(customer_id=customer.id, product=product, position=index))
            products.add(product)
    session.flush()


def get_customer(session: Session, ref: str) -> Customer:
    """The buyer named by ``ref``: an id, an e-mail, or a name matching exactly one buyer."""
    text = ref.strip()
    if not text:
        raise InvalidInput("Name a customer by id, e-mail or name.")
    if text.isdigit():
        customer = session.get(Customer, int(text))
        if customer is None:
            raise NotFound(f"No customer with id {text}{_merged_hint(session, int(text))}.")
        return customer
    if "@" in text:
        rows = session.exec(
            select(Customer)
            .join(CustomerContact, CustomerContact.customer_id == Customer.id)
            .where(CustomerContact.kind == "email", CustomerContact.value == text.lower())
        ).all()
    else:
        from laop.services.normalize import company_key

        lowered = text.lower()
        key = company_key(text)
        conditions = [
            func.lower(Customer.company) == lowered,
            func.lower(Customer.contact) == lowered,
        ]
        if key:
            conditions.append(Customer.company_key == key)
        rows = session.exec(select(Customer).where(or_(*conditions))).all()
    rows = list({c.id: c for c in rows}.values())
    if not rows:
        raise NotFound(f"No customer matches {text!r}; try `laop customer find {text!r}`.")
    if len(rows) > 1:
        listed = "; ".join(f"{c.id} {c.company or c.contact}" for c in rows[:10])
        raise AmbiguousError(f"{text!r} matches {len(rows)} customers ({listed}); give the id.")
    return rows[0]


def _merged_hint(session: Session, customer_id: int) -> str:
    for event in session.exec(select(CustomerEvent).where(CustomerEvent.kind == "merge")):
        if event.detail.get("dropped_id") == customer_id:
            return f" (it was merged into customer {event.customer_id})"
    return ""


def edit_customer(
    session: Session,
    customer: Customer,
    *,
    data: CleanCustomer,
    actor: User,
    owner: User | None = None,
    remove_emails: list[str] | None = None,
    remove_phones: list[str] | None = None,
    remove_products: list[str] | None = None,
) -> Customer:
    """Change the given fields; e-mails, phones and products given are added."""
    from laop.services.normalize import (
        company_key,
        normalize_email,
        normalize_phone,
        person_key,
        region_of,
    )

    changed: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        value = getattr(data, name)
        if value is not None and value != getattr(customer, name):
            changed[name] = [getattr(customer, name), value]
            setattr(customer, name, value)
    customer.company_key = company_key(customer.company or "")
    customer.contact_key = person_key(customer.contact or "")
    customer.region = region_of(customer.country).value if customer.country else None
    if owner is not None and owner.id != customer.owner_id:
        previous = session.get(User, customer.owner_id) if customer.owner_id else None
        changed["owner"] = [previous.name if previous else None, owner.name]
        customer.owner_id = owner.id
    for email in remove_emails or []:
        _remove_contact(session, customer, "email", normalize_email(email))
    for phone in remove_phones or []:
        _remove_contact(
            session, customer, "phone", normalize_phone(phone, country=customer.country)
        )
    for product in remove_products or []:
        session.execute(
            delete(CustomerProduct).where(
                CustomerProduct.customer_id == customer.id,
                CustomerProduct.product == product.strip(),
            )
        )
    customer.updated_at = utcnow()
    session.add(customer)
    _add_contacts(session, customer, data)
    if changed:
        kind = "owner" if set(changed) == {"owner"} else "edit"
        session.add(
            CustomerEvent(customer_id=customer.id, kind=kind, detail=changed, user_id=actor.id)
        )
    session.flush()
    return customer


def _remove_contact(session: Session, customer: Customer, kind: str, value: str) -> None:
    result = session.execute(
        delete(CustomerContact).where(
            CustomerContact.customer_id == customer.id,
            CustomerContact.kind == kind,
            CustomerContact.value == value,
        )
    )
    if result.rowcount == 0:
        raise NotFound(f"Customer {customer.id} has no {kind} {value}.")


def list_customers(
    session: Session,
    *,
    owner: User | None,
    grade: str | None = None,
    country: str | None = None,
    ungraded: bool = False,
    limit: int | None = None,
) -> list[Customer]:
    """Buyers of ``owner`` (None: everyone), newest acquisition first."""
    query = select(Customer)
    if owner is not None:
        query = query.where(Customer.owner_id == owner.id)
    if grade:
        query = query.where(Customer.grade == parse_enum(Grade, grade, what="grade").value)
    if ungraded:
        query = query.where(Customer.grade.is_(None))  # type: ignore[union-attr]
    if country:
        from laop.services.normalize import normalize_country

        query = query.where(Customer.country == normalize_country(country))
    query = query.order_by(Customer.acquired_at.desc(), Customer.id.desc())  # type: ignore[attr-defined]
    if limit:
        query = query.limit(limit)
    return list(session.exec(query))


def customer_views(session: Session, customers: list[Customer]) -> list[dict[str, Any]]:
    """The JSON shape of several buyers, loading their contacts in one query each."""
    from laop.services.clock import business_tz, iso_local
    from laop.services.normalize import country_name

    ids = [c.id for c in customers]
    contacts: dict[int, list[CustomerContact]] = defaultdict(list)
    products: dict[int, list[str]] = defaultdict(list)
    owners = {u.id: u.name for u in session.exec(select(User))}
    for chunk in _chunks(ids):
        for contact in session.exec(
            select(CustomerContact)
            .where(CustomerContact.customer_id.in_(chunk))  # type: ignore[attr-defined]
            .order_by(CustomerContact.position)
        ):
            contacts[contact.customer_id].append(contact)
        for row in session.exec(
            select(CustomerProduct)
            .where(CustomerProduct.customer_id.in_(chunk))  # type: ignore[attr-defined]
            .order_by(CustomerProduct.position)
        ):
            products[row.customer_id].append(row.product)
    tz = business_tz(session)

    def when(moment: datetime | None) -> str | None:
        return iso_local(moment, tz)

    views = []
    for c in customers:
        mine = contacts[c.id]
        views.append(
            {
                "id": c.id,
                "company": c.company,
                "contact": c.contact,
                "emails": [x.value for x in mine if x.kind == "email"],
                "phones": [x.value for x in mine if x.kind == "phone"],
                "whatsapp": [x.value for x in mine if x.kind == "phone" and x.whatsapp],
                "country": c.country,
                "country_name": country_name(c.country) if c.country else None,
                "city": c.city,
                "region": c.region,
                "nature": c.nature,
                "strength": c.strength,
                "source": c.source,
                "products": products[c.id],
                "grade": c.grade,
                "owner": owners.get(c.owner_id),
                "notes": c.notes,
                "acquired_at": when(c.acquired_at),
                "created_at": when(c.created_at),
                "last_contact_at": when(c.last_contact_at),
                "last_out_at": when(c.last_out_at),
                "awaiting_since": when(c.awaiting_since),
                "due_on": c.due_on.isoformat() if c.due_on else None,
            }
        )
    return views


def _chunks(ids: list[Any], size: int = 500) -> list[list[Any]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def merge_customers(session: Session, *, keep: Customer, drop: Customer, actor: User) -> Customer:
    """Move every record of ``drop`` to ``keep``, fill keep's empty fields, delete drop.

    A ``merge`` event on ``keep`` holds a snapshot of the dropped buyer.
    """
    if keep.id == drop.id:
        raise ConflictError("Cannot merge a customer into itself.")
    snapshot = customer_views(session, [drop])[0]
    filled = []
    for name in (*SCALAR_FIELDS, "grade"):
        if getattr(keep, name) in (None, "") and getattr(drop, name) not in (None, ""):
            setattr(keep, name, getattr(drop, name))
            filled.append(name)
    if "notes" not in filled and drop.notes and drop.notes != keep.notes:
        keep.notes = f"{keep.notes}\n{drop.notes}" if keep.notes else drop.notes
    if keep.owner_id is None:
        keep.owner_id = drop.owner_id
    keep.acquired_at = min(keep.acquired_at, drop.acquired_at)
    if "company" in filled or "contact" in filled or "country" in filled:
        from laop.services.normalize import company_key, person_key, region_of

        keep.company_key = company_key(keep.company or "")
        keep.contact_key = person_key(keep.contact or "")
        keep.region = region_of(keep.country).value if keep.country else None
    _move_contacts(session, keep, drop)
    for model in (Message, Inquiry, GradeChange, CustomerEvent, ReplyClock):
        session.execute(
            update(model).where(model.customer_id == drop.id).values(customer_id=keep.id)  # type: ignore[attr-defined]
        )
    keep.updated_at = utcnow()
    session.add(keep)
    session.add(
        CustomerEvent(
            customer_id=keep.id,
            kind="merge",
            detail={"dropped_id": drop.id, "filled": filled, "snapshot": snapshot},
            user_id=actor.id,
        )
    )
    session.flush()
    session.delete(drop)
    session.flush()
    from laop.services.cadence import refresh_followup

    refresh_followup(session, [keep.id])
    return keep


def _move_contacts(session: Session, keep: Customer, drop: Customer) -> None:
    kept = {
        (c.kind, c.value)
        for c in session.exec(select(CustomerContact).where(CustomerContact.customer_id == keep.id))
    }
    position = len(kept)
    for contact in session.exec(
        select(CustomerContact).where(CustomerContact.customer_id == drop.id)
    ).all():
        if (contact.kind, contact.value) in kept:
            session.delete(contact)
        else:
            contact.customer_id = keep.id
            contact.position = position
            position += 1
            session.add(contact)
    kept_products = set(
        session.exec(select(CustomerProduct.product).where(CustomerProduct.customer_id == keep.id))
    )
    for row in session.exec(
        select(CustomerProduct).where(CustomerProduct.customer_id == drop.id)
    ).all():
        if row.product in kept_products:
            session.delete(row)
        else:
            row.customer_id = keep.id
            session.add(row)
    session.flush()
