"""The demo database: a small supplier team with six months of realistic history.

The dataset (``data/demo.json``, shipped as ``laop.demo_data``) gives every instant
as days ago plus a business-time clock reading, so the demo always looks current.
"""

import json
from datetime import UTC, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from laop.errors import ConflictError
from laop.models import Customer, GradeChange, Inquiry, Message, utcnow
from laop.services.cadence import refresh_followup
from laop.services.clock import business_tz, today
from laop.services.customers import CustomerInput, add_customer
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


def load_demo(session: Session, dataset: dict[str, Any] | None = None) -> dict[str, int]:
    """Fill an empty database with the demo team; returns what was created."""
    if session.exec(select(func.count()).select_from(Customer)).one():
        raise ConflictError("The demo needs an empty database; this one already holds customers.")
    data = dataset or demo_dataset()
    for key, value in data.get("settings", {}).items():
        set_setting(session, key, value)
    tz = business_tz(session)
    now = utcnow().replace(microsecond=0)
    base_day = today(tz)

    def instant(days_ago: int, clock: str = "09:00") -> datetime:
        local = datetime.combine(
            base_day - timedelta(days=days_ago), time.fromisoformat(clock), tzinfo=tz
        )
        # "Today, 15:00" must not lie in the future when the demo runs at 08:00.
        return min(local.astimezone(UTC), now - timedelta(minutes=1))

    users = {row["name"]: add_user(session, **row) for row in data["users"]}
    counts = {"users": len(users), "customers": 0, "messages": 0, "inquiries": 0}
    for row in data["customers"]:
        owner = users.get(row.get("owner") or "")
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
            session, data=fields, owner=owner, acquired_at=instant(row["acquired_days_ago"])
        )
        actor_id = owner.id if owner else None
        previous = None
        for change in row.get("grade_history") or (
            [{"grade": row["grade"], "days_ago": row["acquired_days_ago"]}]
            if row.get("grade")
            else []
        ):
            session.add(
                GradeChange(
                    customer_id=customer.id,
                    old_grade=previous,
                    new_grade=change["grade"],
                    reason=change.get("reason"),
                    user_id=actor_id,
                    at=instant(change["days_ago"], change.get("time", "18:00")),
                )
            )
            previous = change["grade"]
        customer.grade = row.get("grade")
        messages: dict[tuple[int, str], Message] = {}
        for m in row.get("messages", []):
            message = Message(
                customer_id=customer.id,
                channel=m["channel"],
                direction=m["direction"],
                kind=m.get("kind") or "other",
                auto=bool(m.get("auto")),
                note=m.get("note"),
                user_id=actor_id,
                at=instant(m["days_ago"], m.get("time", "09:00")),
            )
            session.add(message)
            if m["direction"] == "in":
                messages.setdefault((m["days_ago"], m.get("time", "09:00")), message)
        session.flush()
        for q in row.get("inquiries", []):
            linked = messages.get((q["days_ago"], q.get("time", "09:00")))
            session.add(
                Inquiry(
                    customer_id=customer.id,
                    message_id=linked.id if linked else None,
                    channel=q["channel"],
                    product=q.get("product"),
                    quantity=q.get("quantity"),
                    message=q.get("message"),
                    status=q.get("status", "new"),
                    received_at=instant(q["days_ago"], q.get("time", "09:00")),
                )
            )
        counts["customers"] += 1
        counts["messages"] += len(row.get("messages", []))
        counts["inquiries"] += len(row.get("inquiries", []))
    session.flush()
    refresh_followup(session, list(session.exec(select(Customer.id))))  # type: ignore[arg-type]
    return counts
