"""The demo database: a small supplier team with six months of realistic history.

The dataset (``data/demo.json``, shipped as ``laop.demo_data``) gives every instant
relative to today, so the demo always looks current:

- ``customers``: each buyer with its grade history, messages, inquiries and optional
  ``orders``; instants are ``days_ago`` plus a business-time clock reading (``time``,
  HH:MM). An order's ETD is ``etd_days_from_today`` days from today (negative: past,
  null: none). Orders are historical, so their status is set as given rather than
  walked through the status flow.
- ``targets``: monthly targets (publishing, RFQ bonus) by ``month_offset`` from the
  current business month (0 this month, -1 the previous one).
- ``activity_pattern``: activity counts are not listed day by day; :func:`load_demo`
  generates them deterministically (``random.Random(seed)``, so the same day gives the
  same figures) for every working day (laop's calendar, setting ``workdays.country``)
  of the previous month and of the current month up to and including today, per user:

  * ``publish``: products published, a whole number in the range; a user skips a day
    with probability ``publish_skip``, but someone on the team publishes every day;
  * ``visitor``: visitor-marketing sends in the range;
  * ``online``: hours online in half-hour steps in the range;
  * ``rfq``: each month the team uses ``rfq_quota_use`` of that month's RFQ quota
    (base + bonus, rounded down), split over the users by ``rfq_share`` and spread
    evenly over the month's working days; quotes due after today are not made yet;
  * ``overrides`` then set single figures (user, kind, ``days_ago``), e.g. one day
    above the daily visitor-marketing cap.
"""

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from laop.errors import ConflictError, InvalidInput
from laop.models import ActivityCount, Customer, GradeChange, Inquiry, Message, User, utcnow
from laop.services.activity import rfq_quota, set_target, working_days
from laop.services.cadence import refresh_followup
from laop.services.clock import business_tz, today
from laop.services.customers import CustomerInput, add_customer
from laop.services.orders import add_order
from laop.services.settings import set_setting
from laop.services.users import add_user

__all__ = ["demo_dataset", "load_demo"]


def demo_dataset() -> dict[str, Any]:
    """The shipped demo dataset."""
    try:
        text = files("laop.demo_data").joinpath("demo.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        # An editable install maps only src/laop; the dataset then sits in the checkout.
        checkout = Path(__file__).resolve().parents[3]
        text = (checkout / "data" / "demo.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class _Clock:
    """Turns the dataset's relative instants into real ones."""

    tz: ZoneInfo
    today: date
    now: datetime

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def instant(self, days_ago: int, clock: str = "09:00") -> datetime:
        local = datetime.combine(self.day(days_ago), time.fromisoformat(clock), tzinfo=self.tz)
        # "Today, 15:00" must not lie in the future when the demo runs at 08:00.
        return min(local.astimezone(UTC), self.now - timedelta(minutes=1))

    def month(self, offset: int) -> str:
        """The business month ``offset`` months from this one, as YYYY-MM."""
        index = self.today.year * 12 + self.today.month - 1 + offset
        return f"{index // 12:04d}-{index % 12 + 1:02d}"


def load_demo(session: Session, dataset: dict[str, Any] | None = None) -> dict[str, int]:
    """Fill an empty database with the demo team; returns what was created."""
    if session.exec(select(func.count()).select_from(Customer)).one():
        raise ConflictError("The demo needs an empty database; this one already holds customers.")
    data = dataset or demo_dataset()
    for key, value in data.get("settings", {}).items():
        set_setting(session, key, value)
    tz = business_tz(session)
    clock = _Clock(tz=tz, today=today(tz), now=utcnow().replace(microsecond=0))

    users = {row["name"]: add_user(session, **row) for row in data["users"]}
    counts = {"users": len(users), "customers": 0, "messages": 0, "inquiries": 0, "orders": 0}
    for row in data["customers"]:
        owner = users.get(row.get("owner") or "")
        customer = _add_customer(session, row, owner=owner, clock=clock)
        _add_orders(session, customer, row.get("orders", []), owner=owner, clock=clock)
        counts["customers"] += 1
        for key in ("messages", "inquiries", "orders"):
            counts[key] += len(row.get(key, []))
    session.flush()
    refresh_followup(session, list(session.exec(select(Customer.id))))  # type: ignore[arg-type]

    for target in data.get("targets", []):
        month = clock.month(target["month_offset"])
        set_target(session, kind=target["kind"], month=month, value=target["value"])
    counts["targets"] = len(data.get("targets", []))
    pattern = data.get("activity_pattern")
    counts["activity"] = _add_activity(session, pattern, users, clock) if pattern else 0
    return counts


# ------------------------------------------------------------------ buyers and their history
def _add_customer(
    session: Session, row: dict[str, Any], *, owner: User | None, clock: _Clock
) -> Customer:
    """A buyer with its grade history, messages and inquiries."""
    fields = CustomerInput(
        company=row.get("company"),
        contact=row.get("contact"),
        emails=row.get("emails", []),
        phones=row.get("phones", []),
        country=row.get("country"),
        city=row.get("city"),
        nature=row.get("nature"),
        source=row.get("source"),
        strength=row.get("strength"),
        products=row.get("products", []),
        notes=row.get("notes"),
    ).cleaned()
    customer = add_customer(
        session, data=fields, owner=owner, acquired_at=clock.instant(row["acquired_days_ago"])
    )
    actor_id = owner.id if owner else None
    previous = None
    for change in row.get("grade_history") or (
        [{"grade": row["grade"], "days_ago": row["acquired_days_ago"]}] if row.get("grade") else []
    ):
        session.add(
            GradeChange(
                customer_id=customer.id,
                old_grade=previous,
                new_grade=change["grade"],
                reason=change.get("reason"),
                user_id=actor_id,
                at=clock.instant(change["days_ago"], change.get("time", "18:00")),
            )
        )
        previous = change["grade"]
    customer.grade = row.get("grade")
    inbound = _add_messages(session, customer, row.get("messages", []), actor_id, clock)
    for q in row.get("inquiries", []):
        linked = inbound.get((q["days_ago"], q.get("time", "09:00")))
        session.add(
            Inquiry(
                customer_id=customer.id,
                message_id=linked.id if linked else None,
                channel=q["channel"],
                product=q.get("product"),
                quantity=q.get("quantity"),
                message=q.get("message"),
                status=q.get("status", "new"),
                received_at=clock.instant(q["days_ago"], q.get("time", "09:00")),
            )
        )
    return customer


def _add_messages(
    session: Session,
    customer: Customer,
    rows: list[dict[str, Any]],
    actor_id: int | None,
    clock: _Clock,
) -> dict[tuple[int, str], Message]:
    """The buyer's messages; returns the first inbound one at each (days_ago, time)."""
    inbound: dict[tuple[int, str], Message] = {}
    for m in rows:
        message = Message(
            customer_id=customer.id,
            channel=m["channel"],
            direction=m["direction"],
            kind=m.get("kind") or "other",
            auto=bool(m.get("auto")),
            note=m.get("note"),
            user_id=actor_id,
            at=clock.instant(m["days_ago"], m.get("time", "09:00")),
        )
        session.add(message)
        if m["direction"] == "in":
            inbound.setdefault((m["days_ago"], m.get("time", "09:00")), message)
    session.flush()  # the inquiries link to the messages' ids
    return inbound


def _add_orders(
    session: Session,
    customer: Customer,
    rows: list[dict[str, Any]],
    *,
    owner: User | None,
    clock: _Clock,
) -> None:
    """The buyer's orders, recorded by its owner with the given status."""
    if not rows:
        return
    if owner is None:
        raise InvalidInput(f"The demo buyer {customer.company!r} has orders but no owner.")
    for row in rows:
        etd = row.get("etd_days_from_today")
        order = add_order(
            session,
            customer,
            kind=row["kind"],
            amount=row["amount"],
            currency=row["currency"],
            actor=owner,
            status=row["status"],
            etd=clock.day(-etd) if etd is not None else None,
            at=clock.instant(row["days_ago"], row.get("time", "09:00")),
            note=row.get("note"),
        )
        order.tracking = row.get("tracking")
        session.add(order)


# ------------------------------------------------------------------ activity counts
def _add_activity(
    session: Session, pattern: dict[str, Any], users: dict[str, User], clock: _Clock
) -> int:
    """Activity counts for last month and this month so far; returns how many rows."""
    people: dict[str, dict[str, Any]] = pattern["users"]
    rng = random.Random(pattern["seed"])
    figures: dict[tuple[str, str, date], Decimal] = {}
    for offset in (-1, 0):
        year, month = (int(part) for part in clock.month(offset).split("-"))
        days = working_days(session, year, month)
        for day in days:
            if day <= clock.today:
                figures.update(_daily_figures(rng, people, day))
        quota = rfq_quota(session, year, month)
        for (name, day), quotes in _rfq_plan(people, pattern["rfq_quota_use"], quota, days).items():
            if day <= clock.today:
                figures[(name, "rfq", day)] = Decimal(quotes)
    for row in pattern.get("overrides", []):
        figures[(row["user"], row["kind"], clock.day(row["days_ago"]))] = Decimal(row["amount"])
    for (name, kind, day), amount in sorted(figures.items()):
        session.add(ActivityCount(user_id=users[name].id, kind=kind, day=day, amount=amount))
    session.flush()
    return len(figures)


def _daily_figures(
    rng: random.Random, people: dict[str, dict[str, Any]], day: date
) -> dict[tuple[str, str, date], Decimal]:
    """One working day's publishing, visitor marketing and hours online per user."""
    publishers = [name for name, p in people.items() if rng.random() >= p["publish_skip"]]
    publishers = publishers or [next(iter(people))]  # someone publishes every working day
    figures: dict[tuple[str, str, date], Decimal] = {}
    for name, p in people.items():
        if name in publishers:
            figures[(name, "publish", day)] = Decimal(rng.randint(*p["publish"]))
        figures[(name, "visitor", day)] = Decimal(rng.randint(*p["visitor"]))
        low, high = (int(Decimal(hours) * 2) for hours in p["online"])
        figures[(name, "online", day)] = Decimal(rng.randint(low, high)) / 2
    return figures


def _rfq_plan(
    people: dict[str, dict[str, Any]], use: float, quota: int, days: list[date]
) -> Counter[tuple[str, date]]:
    """A month's RFQ quotes per user and day: ``use`` of the quota, split by share
    (largest remainder) and spread evenly over the working days, users staggered.
    """
    total = int(quota * use)
    exact = {name: total * p["rfq_share"] for name, p in people.items()}
    split = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: exact[name] - split[name], reverse=True)
    for name in by_remainder[: max(total - sum(split.values()), 0)]:
        split[name] += 1
    plan: Counter[tuple[str, date]] = Counter()
    for index, (name, quotes) in enumerate(split.items()):
        stagger = index / len(split)
        for n in range(quotes):
            plan[(name, days[int((n + stagger) * len(days) / quotes)])] += 1
    return plan
