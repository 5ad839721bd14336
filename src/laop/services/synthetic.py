"""Synthetic teams at scale (`laop demo --customers N`), for benchmarks and load tests.

Deterministic for a seed. Rows go in with bulk inserts; the follow-up state is then
derived by the same code that derives it for a logged message.
"""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, func, select

from laop.errors import ConflictError, InvalidInput
from laop.models import (
    Customer,
    CustomerContact,
    CustomerProduct,
    GradeChange,
    Inquiry,
    Message,
    User,
    utcnow,
)
from laop.services.cadence import refresh_followup
from laop.services.normalize import company_key, person_key, region_of

__all__ = ["generate"]

BATCH = 5_000
DAYS = 365
CADENCE = {"A": 3, "B": 7, "C": 15, "D": 30}

PREFIXES = [
    "Global",
    "United",
    "Prime",
    "Euro",
    "Asia",
    "Atlas",
    "Nova",
    "Summit",
    "Blue",
    "Golden",
    "Green",
    "North",
    "South",
    "Pacific",
    "Atlantic",
    "Royal",
    "Star",
    "Sun",
    "Silver",
    "Delta",
    "Alpha",
    "Orient",
    "Metro",
    "Union",
    "Crown",
    "Eagle",
    "Falcon",
    "Lotus",
    "Cedar",
    "Oak",
]
CORES = [
    "Lighting",
    "Electric",
    "Home",
    "Trading",
    "Supply",
    "Import",
    "Distribution",
    "Retail",
    "Hardware",
    "Appliance",
    "Solar",
    "Tech",
    "Goods",
    "Brands",
    "Market",
    "Energy",
    "Lamps",
]
SUFFIXES = [
    "Ltd",
    "GmbH",
    "LLC",
    "Inc.",
    "S.A.",
    "S.r.l.",
    "B.V.",
    "Pty Ltd",
    "Co., Ltd.",
    "SpA",
    "",
]
FIRST = [
    "John",
    "Maria",
    "Ahmed",
    "Li",
    "Anna",
    "Carlos",
    "Fatima",
    "Hans",
    "Olga",
    "Raj",
    "Sara",
    "Tom",
    "Yuki",
    "Omar",
    "Elena",
    "Pedro",
    "Nguyen",
    "Ali",
    "Grace",
    "Ivan",
]
LAST = [
    "Smith",
    "Garcia",
    "Khan",
    "Wang",
    "Müller",
    "Rossi",
    "Silva",
    "Ivanov",
    "Kim",
    "Sato",
    "Nowak",
    "Lopez",
    "Hassan",
    "Tran",
    "Brown",
    "Kowalski",
    "Santos",
    "Ali",
    "Meyer",
    "Patel",
]
COUNTRIES = [
    "US",
    "DE",
    "GB",
    "FR",
    "IT",
    "ES",
    "NL",
    "PL",
    "RU",
    "TR",
    "AE",
    "SA",
    "EG",
    "NG",
    "ZA",
    "IN",
    "PK",
    "VN",
    "TH",
    "MY",
    "ID",
    "PH",
    "AU",
    "JP",
    "KR",
    "BR",
    "MX",
    "CL",
    "CA",
    "AR",
]
PRODUCTS = [
    "LED panel light",
    "LED bulb",
    "LED strip",
    "solar flood light",
    "LED high bay",
    "air fryer",
    "electric kettle",
    "rechargeable fan",
    "LED downlight",
    "LED tube",
]
NATURES = ["trader", "wholesaler", "retailer", "importer", "distributor", "brand", "e-commerce"]
SOURCES = ["inquiry", "tm", "rfq", "visitor-marketing", "trade-show", "website", "email"]
GRADES = ["A", "B", "C", "D", None]
GRADE_WEIGHTS = [8, 22, 30, 25, 15]
IN_CHANNELS = ["inquiry", "inquiry", "tm", "tm", "email", "whatsapp", "fax"]
OUT_KINDS = ["reply", "follow-up", "quote", "sample", "news", "new-product", "greeting"]


def generate(
    session: Session,
    *,
    customers: int,
    messages: int,
    users: int,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Fill an empty database with ``customers`` buyers and about ``messages`` messages."""
    if customers < 1 or users < 1 or messages < 0:
        raise InvalidInput("Give at least one customer and one user, and no negative counts.")
    if session.exec(select(func.count()).select_from(Customer)).one():
        raise ConflictError("The generator needs an empty database; this one holds customers.")
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    team = [
        User(name=f"sales{n:02d}", role="sales", email=f"sales{n:02d}@example.com")
        for n in range(1, users + 1)
    ]
    team.append(User(name="manager", role="manager", email="manager@example.com"))
    session.add_all(team)
    session.flush()
    sales_ids = [u.id for u in team[:-1]]
    per_customer = messages / customers
    rows: dict[str, list[dict[str, Any]]] = {
        "customer": [],
        "contact": [],
        "product": [],
        "grade": [],
        "message": [],
        "inquiry": [],
    }
    next_message_id = 1
    totals = {"users": len(team), "customers": 0, "messages": 0, "inquiries": 0}
    for cid in range(1, customers + 1):
        prefix, core = rng.choice(PREFIXES), rng.choice(CORES)
        company = f"{prefix} {core} {cid} {rng.choice(SUFFIXES)}".strip()
        contact = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        country = rng.choice(COUNTRIES)
        acquired = now - timedelta(days=rng.uniform(1, DAYS), minutes=rng.randint(0, 600))
        # Grading is the first step after receipt: only recent buyers may still lack one.
        recent = now - acquired < timedelta(days=14)
        grade = (
            rng.choices(GRADES, GRADE_WEIGHTS)[0]
            if recent
            else rng.choices(GRADES[:4], GRADE_WEIGHTS[:4])[0]
        )
        owner = sales_ids[cid % len(sales_ids)]
        rows["customer"].append(
            {
                "id": cid,
                "company": company,
                "contact": contact,
                "country": country,
                "region": region_of(country).value,
                "nature": rng.choice(NATURES),
                "source": rng.choice(SOURCES),
                "grade": grade,
                "owner_id": owner,
                "company_key": company_key(company),
                "contact_key": person_key(contact),
                "acquired_at": acquired,
                "created_at": acquired,
                "updated_at": acquired,
                "strength": rng.choice(["small", "medium", "large", None]),
            }
        )
        domain = f"{prefix}{core}{cid}.com".lower()
        rows["contact"].append(
            {
                "customer_id": cid,
                "kind": "email",
                "value": f"buyer@{domain}",
                "domain": domain,
                "whatsapp": False,
                "position": 0,
            }
        )
        rows["product"].append({"customer_id": cid, "product": rng.choice(PRODUCTS), "position": 0})
        if grade:
            rows["grade"].append(
                {
                    "customer_id": cid,
                    "old_grade": None,
                    "new_grade": grade,
                    "user_id": owner,
                    "at": acquired + timedelta(hours=2),
                }
            )
        count = (
            max(2, int(rng.expovariate(1 / per_customer) + 0.5))
            if per_customer >= 1
            else int(rng.random() < per_customer)
        )
        first_in = next_message_id
        for moment, inbound in _timeline(rng, count=count, acquired=acquired, grade=grade, now=now):
            channel = (
                rng.choice(IN_CHANNELS)
                if inbound
                else rng.choice(["email", "tm", "phone", "inquiry"])
            )
            rows["message"].append(
                {
                    "id": next_message_id,
                    "customer_id": cid,
                    "channel": channel,
                    "direction": "in" if inbound else "out",
                    "kind": "other" if inbound else rng.choice(OUT_KINDS),
                    "auto": False,
                    "note": None,
                    "user_id": owner,
                    "at": moment,
                    "created_at": moment,
                }
            )
            next_message_id += 1
        if count:
            rows["inquiry"].append(
                {
                    "customer_id": cid,
                    "message_id": first_in,
                    "channel": "inquiry",
                    "product": rows["product"][-1]["product"],
                    "quantity": f"{rng.randint(1, 50) * 100} pcs",
                    "message": None,
                    "status": rng.choice(["new", "replied", "quoted", "sample", "ordered", "lost"]),
                    "received_at": acquired,
                }
            )
        totals["customers"] += 1
        totals["messages"] += count
        totals["inquiries"] += 1 if count else 0
        if len(rows["message"]) >= BATCH or len(rows["customer"]) >= BATCH:
            _flush(session, rows)
            if progress:
                progress(cid)
    _flush(session, rows)
    ids = list(range(1, customers + 1))
    for start in range(0, len(ids), BATCH):
        refresh_followup(session, ids[start : start + BATCH])
        if progress:
            progress(customers + start)
    _realign_sequences(session)
    return totals


def _timeline(
    rng: random.Random, *, count: int, acquired: datetime, grade: str | None, now: datetime
) -> list[tuple[datetime, bool]]:
    """When a buyer's messages happened, and which were inbound.

    Like a team that mostly keeps its cadence: the first message is the buyer's
    inquiry; for most graded buyers our last follow-up lies within the grade's interval,
    about one in seven is overdue, and one in twenty has just written and awaits us.
    """
    if count == 0:
        return []
    interval = CADENCE.get(grade or "", 10)
    lag = (
        rng.uniform(0, interval)
        if rng.random() < 0.85
        else rng.uniform(interval, 3 * interval + 20)
    )
    last = max(acquired, now - timedelta(days=lag, minutes=rng.randint(0, 600)))
    span = (last - acquired).total_seconds()
    points = [*sorted(rng.random() for _ in range(count - 1)), 1.0]
    moments = [acquired + timedelta(seconds=span * p) for p in points]
    events = [(moments[0], True)]
    events += [(m, rng.random() < 0.4) for m in moments[1:-1]]
    if count > 1:
        events.append((moments[-1], False))  # our follow-up closes the conversation
    if count > 2 and rng.random() < 0.05:
        waiting = min(now, last + timedelta(hours=rng.uniform(0.1, 30)))
        events[-1] = (waiting, True)
    return events


def _flush(session: Session, rows: dict[str, list[dict[str, Any]]]) -> None:
    tables = [
        ("customer", Customer),
        ("contact", CustomerContact),
        ("product", CustomerProduct),
        ("grade", GradeChange),
        ("message", Message),
        ("inquiry", Inquiry),
    ]
    for key, model in tables:
        if rows[key]:
            session.execute(insert(model), rows[key])
            rows[key].clear()


def _realign_sequences(session: Session) -> None:
    # Explicit ids bypass PostgreSQL's sequences; move them past the generated rows.
    if session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in ("customer", "message"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
