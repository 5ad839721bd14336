"""Intake (DOMAIN §3): look every buyer up before creating it.

One matcher serves `inquiry add`, `customer add`, `customer find` and the importer.
Evidence and its weight:

=====================================  =====
same e-mail address (case-insensitive)   100
same phone number (E.164)                 95
same company name after normalisation     92
fuzzy company name (similarity ≥ 88)     0.9 × similarity
same company e-mail domain (not free)     85
similar contact full name (≥ 2 words)     70
=====================================  =====

A candidate's score is its strongest evidence plus 4 points for each further kind of
evidence, capped at 100. Scores of at least ``ATTACH_SCORE`` are plausible matches.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from laop.enums import SOURCE_BY_CHANNEL, Channel, parse_enum
from laop.errors import AmbiguousError, InvalidInput, NotFound
from laop.models import Customer, CustomerContact, Inquiry, Message, User
from laop.services.customers import CleanCustomer, _add_contacts, add_customer

__all__ = [
    "ATTACH_SCORE",
    "Candidate",
    "IntakeResult",
    "add_inquiry",
    "company_evidence",
    "find_candidates",
    "intake_customer",
]

SCORE_EMAIL = 100.0
SCORE_PHONE = 95.0
SCORE_COMPANY_EXACT = 92.0
SCORE_DOMAIN = 85.0
SCORE_CONTACT = 70.0
FUZZY_COMPANY_MIN = 88.0
FUZZY_CONTACT_MIN = 92.0
BONUS_PER_EXTRA = 4.0
ATTACH_SCORE = 80.0
STRONG_SCORE = 95.0


@dataclass
class Candidate:
    """A stored buyer that may be the one being looked up."""

    customer: Customer
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class IntakeResult:
    customer: Customer
    matched: bool
    candidates: list[Candidate]
    inquiry: Inquiry | None = None
    message: Message | None = None


def find_candidates(
    session: Session, data: CleanCustomer, *, min_score: float = 50.0, limit: int = 10
) -> list[Candidate]:
    """Stored buyers that may be the buyer described by ``data``, best first."""
    from laop.services.normalize import company_key, email_domain, is_free_mail, person_key

    evidence: dict[int, dict[str, tuple[float, str]]] = {}

    def note(customer_id: int, kind: str, score: float, reason: str) -> None:
        kinds = evidence.setdefault(customer_id, {})
        if kind not in kinds or kinds[kind][0] < score:
            kinds[kind] = (score, reason)

    values = [("email", e) for e in data.emails] + [("phone", p) for p, _ in data.phones]
    if values:
        for contact in session.exec(
            select(CustomerContact).where(
                CustomerContact.value.in_([v for _, v in values])  # type: ignore[attr-defined]
            )
        ):
            if contact.kind == "email":
                note(contact.customer_id, "email", SCORE_EMAIL, f"same e-mail {contact.value}")
            else:
                note(contact.customer_id, "phone", SCORE_PHONE, f"same phone {contact.value}")
    domains = sorted({d for d in map(email_domain, data.emails) if not is_free_mail(d)})
    if domains:
        for customer_id, domain in session.exec(
            select(CustomerContact.customer_id, CustomerContact.domain).where(
                CustomerContact.domain.in_(domains)  # type: ignore[union-attr]
            )
        ):
            note(customer_id, "domain", SCORE_DOMAIN, f"same e-mail domain {domain}")
    company = company_key(data.company or "")
    person = person_key(data.contact or "")
    if company or len(person.split()) >= 2:
        _name_evidence(session, company, person, note)
    if not evidence:
        return []
    customers = {
        c.id: c
        for c in session.exec(
            select(Customer).where(Customer.id.in_(list(evidence)))  # type: ignore[union-attr]
        )
    }
    ranked = []
    for customer_id, kinds in evidence.items():
        scores = sorted((s for s, _ in kinds.values()), reverse=True)
        score = min(100.0, scores[0] + BONUS_PER_EXTRA * (len(scores) - 1))
        if score >= min_score and customer_id in customers:
            reasons = [r for _, r in sorted(kinds.values(), key=lambda x: -x[0])]
            ranked.append(Candidate(customers[customer_id], round(score, 1), reasons))
    ranked.sort(key=lambda c: (-c.score, c.customer.id))
    return ranked[:limit]


def _name_evidence(session: Session, company: str, contact: str, note: Any) -> None:
    from rapidfuzz import fuzz, process

    rows = session.exec(select(Customer.id, Customer.company_key, Customer.contact_key)).all()
    if company:
        company_evidence(company, {cid: key for cid, key, _ in rows if key}, note)
    if len(contact.split()) >= 2:
        people = {cid: key for cid, _, key in rows if len(key.split()) >= 2}
        for _key, _score, cid in process.extract(
            contact, people, scorer=fuzz.token_sort_ratio, limit=20, score_cutoff=FUZZY_CONTACT_MIN
        ):
            note(cid, "contact", SCORE_CONTACT, "similar contact name")


def company_evidence(company: str, choices: dict[int, str], note: Any) -> None:
    """Note the buyers whose company key (``choices``: id → key) matches ``company``.

    The one place that scores names, for find_candidates and the importer's index:
    names carrying other numbers are dropped (they score 0), rapidfuzz ranks the rest
    at C speed, and the 20 best are re-scored with name_similarity.
    """
    from rapidfuzz import fuzz, process

    from laop.services.normalize import name_numbers, name_similarity

    numbers = name_numbers(company)
    if numbers:
        choices = {cid: k for cid, k in choices.items() if name_numbers(k) in ("", numbers)}
    for _key, _score, cid in process.extract(
        company, choices, scorer=fuzz.token_sort_ratio, limit=20, score_cutoff=60
    ):
        similarity = name_similarity(company, choices[cid])
        if similarity >= 100:
            note(cid, "company", SCORE_COMPANY_EXACT, "same company name")
        elif similarity >= FUZZY_COMPANY_MIN:
            note(cid, "company", 0.9 * similarity, f"similar company name ({similarity:.0f}%)")


def pick_match(candidates: list[Candidate]) -> Customer | None:
    """The one buyer the candidates point to, None when none is plausible.

    Raises AmbiguousError when several buyers are plausible and none stands out.
    """
    strong = {c.customer.id for c in candidates if c.score >= STRONG_SCORE}
    if len(strong) == 1:
        return next(c.customer for c in candidates if c.customer.id in strong)
    plausible = [c for c in candidates if c.score >= ATTACH_SCORE]
    if len(plausible) == 1 and not strong:
        return plausible[0].customer
    if not plausible:
        return None
    listed = "; ".join(
        f"{c.customer.id} {c.customer.company or c.customer.contact} ({c.score:.0f})"
        for c in plausible[:5]
    )
    raise AmbiguousError(
        f"Several customers could be this buyer ({listed}); pass --customer ID or --new.",
        candidates=plausible,
    )


def intake_customer(
    session: Session,
    *,
    data: CleanCustomer,
    owner: User | None,
    customer_id: int | None = None,
    force_new: bool = False,
    acquired_at: datetime | None = None,
) -> IntakeResult:
    """Find the buyer described by ``data`` or create it; new details fill empty fields."""
    if customer_id is not None and force_new:
        raise InvalidInput("Give either --customer or --new, not both.")
    candidates: list[Candidate] = []
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"No customer with id {customer_id}.")
    elif force_new:
        customer = None
    else:
        candidates = find_candidates(session, data)
        customer = pick_match(candidates)
    if customer is None:
        created = add_customer(session, data=data, owner=owner, acquired_at=acquired_at)
        return IntakeResult(customer=created, matched=False, candidates=candidates)
    _fill_empty(customer, data)
    _add_contacts(session, customer, data)
    return IntakeResult(customer=customer, matched=True, candidates=candidates)


def _fill_empty(customer: Customer, data: CleanCustomer) -> None:
    from laop.services.normalize import company_key, person_key, region_of

    for name in ("company", "contact", "country", "city", "nature", "strength", "source"):
        if getattr(customer, name) is None and getattr(data, name) is not None:
            setattr(customer, name, getattr(data, name))
    customer.company_key = company_key(customer.company or "")
    customer.contact_key = person_key(customer.contact or "")
    customer.region = region_of(customer.country).value if customer.country else None


def add_inquiry(
    session: Session,
    *,
    data: CleanCustomer,
    channel: str,
    actor: User,
    at: datetime,
    owner: User | None = None,
    product: str | None = None,
    quantity: str | None = None,
    text: str | None = None,
    customer_id: int | None = None,
    force_new: bool = False,
) -> IntakeResult:
    """Record an inquiry: find or create its buyer, then log the inbound message."""
    from laop.services.messages import log_message

    channel_value = parse_enum(Channel, channel, what="channel").value
    if data.source is None:
        data.source = SOURCE_BY_CHANNEL.get(channel_value)
    if product and product.strip() and product.strip() not in data.products:
        data.products.append(product.strip())
    result = intake_customer(
        session,
        data=data,
        owner=owner or actor,
        customer_id=customer_id,
        force_new=force_new,
        acquired_at=at,
    )
    customer = result.customer
    message = log_message(
        session,
        customer,
        direction="in",
        channel=channel_value,
        actor=actor,
        at=at,
        note=text,
        refresh=False,
    )
    inquiry = Inquiry(
        customer_id=customer.id,
        message_id=message.id,
        channel=channel_value,
        product=(product or "").strip() or None,
        quantity=(quantity or "").strip() or None,
        message=(text or "").strip() or None,
        received_at=at,
    )
    session.add(inquiry)
    session.flush()
    from laop.services.cadence import refresh_followup

    refresh_followup(session, [customer.id])
    result.inquiry = inquiry
    result.message = message
    return result
