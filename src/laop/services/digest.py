"""The daily digest (DOMAIN §9): what needs doing today, most urgent first.

Sections, in order: buyers awaiting our reply (with SLA breaches and clocks that breach
within ``digest.warn_hours``), due and overdue follow-ups by urgency, new ungraded
buyers, orders to chase (ETD within 7 days; shipped but not delivered), quota status.
The JSON shape always has every key; text and Markdown leave empty sections out.
"""

from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from laop.models import Customer, Order, User, utcnow
from laop.services.activity import quota_status
from laop.services.clock import business_tz, day_bounds, iso_local, today
from laop.services.due import DueQuery, due_list
from laop.services.orders import money_text
from laop.services.reply_report import open_clocks
from laop.services.settings import get_float

__all__ = ["CHASE_DAYS", "build_digest", "render_html", "render_markdown", "render_text", "subject"]

CHASE_DAYS = 7
NEW_BUYER_DAYS = 7
# A mail or terminal lists this many rows per section, most urgent first, and says how
# many more there are; JSON (for scripts) always has every row.
SHOWN_PER_SECTION = 50
MORE_HINTS = {
    "awaiting_reply": "laop due",
    "due": "laop due",
    "ungraded": "laop customer list --ungraded",
    "orders_to_chase": "laop order list",
}


def build_digest(
    session: Session, *, user: User | None, on: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The digest for ``user``'s buyers (None: the whole team) on a business day."""
    tz = business_tz(session)
    day = on or today(tz)
    now = now or utcnow()
    warn_hours = get_float(session, "digest.warn_hours")
    waiting = open_clocks(session, owner=user, now=now)
    for row in waiting:
        row["breaches_soon"] = not row["breached"] and row["hours_left"] <= warn_hours
    follow = due_list(
        session, DueQuery(as_of=day, reference=day), owner=user, follow_up_only=True
    ).rows
    quota = quota_status(session, on=on)
    if user is not None:
        quota["users"] = [row for row in quota["users"] if row["user"] == user.name]
    sections = {
        "awaiting_reply": waiting,
        "due": follow,
        "ungraded": _ungraded(session, user=user, day=day, tz=tz),
        "orders_to_chase": _orders_to_chase(session, user=user, day=day, tz=tz),
    }
    return {
        "date": day.isoformat(),
        "user": user.name if user else None,
        "counts": {name: len(rows) for name, rows in sections.items()},
        **sections,
        "quota": quota,
        "empty": not any(sections.values()) and not quota["warnings"],
    }


def _ungraded(session: Session, *, user: User | None, day: date, tz: Any) -> list[dict[str, Any]]:
    since = day_bounds(day - timedelta(days=NEW_BUYER_DAYS), tz)[0]
    statement = (
        select(Customer)
        .where(Customer.grade.is_(None), Customer.acquired_at >= since)  # type: ignore[union-attr]
        .order_by(Customer.acquired_at.desc())  # type: ignore[attr-defined]
    )
    if user is not None:
        statement = statement.where(Customer.owner_id == user.id)
    return [
        {
            "customer_id": c.id,
            "company": c.company,
            "contact": c.contact,
            "country": c.country,
            "acquired_at": iso_local(c.acquired_at, tz),
        }
        for c in session.exec(statement)
    ]


def _orders_to_chase(
    session: Session, *, user: User | None, day: date, tz: Any
) -> list[dict[str, Any]]:
    horizon = day + timedelta(days=CHASE_DAYS)
    statement = (
        select(Order, Customer.company, Customer.contact)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            or_(
                Order.status == "shipped",
                and_(
                    Order.status.in_(("draft", "confirmed", "in-production")),  # type: ignore[attr-defined]
                    Order.etd.is_not(None),  # type: ignore[union-attr]
                    Order.etd <= horizon,  # type: ignore[operator]
                ),
            )
        )
        .order_by(Order.etd, Order.id)  # type: ignore[arg-type]
    )
    if user is not None:
        statement = statement.where(Customer.owner_id == user.id)
    rows = []
    for order, company, contact in session.exec(statement):
        reason = (
            "not yet delivered"
            if order.status == "shipped"
            else (
                f"ETD {order.etd.isoformat()} is past"
                if order.etd < day
                else f"ETD {order.etd.isoformat()}"  # type: ignore[operator,union-attr]
            )
        )
        rows.append(
            {
                "order_id": order.id,
                "customer_id": order.customer_id,
                "company": company or contact,
                "kind": order.kind,
                "status": order.status,
                "amount": money_text(order.amount),
                "currency": order.currency,
                "etd": order.etd.isoformat() if order.etd else None,
                "tracking": order.tracking,
                "reason": reason,
            }
        )
    return rows


def subject(digest: dict[str, Any]) -> str:
    """The mail subject: who, which day, and the headline counts."""
    counts = digest["counts"]
    who = digest["user"] or "team"
    if digest["empty"]:
        return f"laop 今日待办 {who} {digest['date']}: nothing due"
    return (
        f"laop 今日待办 {who} {digest['date']}: {counts['awaiting_reply']} awaiting reply, "
        f"{counts['due']} follow-ups"
    )


def _name(row: dict[str, Any]) -> str:
    return row.get("company") or row.get("contact") or f"customer {row['customer_id']}"


def _short(moment: str) -> str:
    return moment[:16].replace("T", " ")


def _lines(digest: dict[str, Any]) -> list[tuple[str, list[str], int | None]]:
    """(heading, items, total) for every non-empty section, most urgent first.

    A section lists its first SHOWN_PER_SECTION rows and ends with how many more
    there are and the command that lists them all.
    """
    waiting = []
    for r in digest["awaiting_reply"][:SHOWN_PER_SECTION]:
        if r["breached"]:
            state = f"SLA breached {abs(r['hours_left']):.1f} h ago"
        elif r["breaches_soon"]:
            state = f"breaches in {r['hours_left']:.1f} h"
        else:
            state = f"{r['hours_left']:.1f} h left"
        since = _short(r["opened_at"])
        waiting.append(f"#{r['customer_id']} {_name(r)} — {r['channel']} since {since}, {state}")
    due = []
    for r in digest["due"][:SHOWN_PER_SECTION]:
        late = r["days_overdue"]
        when = f"{late} day{'s' if late > 1 else ''} overdue" if late > 0 else "due today"
        grade = r["grade"] or "ungraded, grade it"
        product = f", {r['open_inquiry_product']}" if r["open_inquiry_product"] else ""
        via = r["suggested_channel"]
        due.append(f"#{r['customer_id']} {_name(r)} ({grade}) — {when}, via {via}{product}")
    ungraded = [
        f"#{r['customer_id']} {_name(r)} ({r['country'] or '?'}), since {r['acquired_at'][:10]}"
        for r in digest["ungraded"][:SHOWN_PER_SECTION]
    ]
    orders = []
    for r in digest["orders_to_chase"][:SHOWN_PER_SECTION]:
        what = f"{r['kind']} {r['amount']} {r['currency']}, {r['status']}"
        tracking = f", tracking {r['tracking']}" if r["tracking"] else ""
        orders.append(f"order {r['order_id']} {_name(r)}: {what} — {r['reason']}{tracking}")
    quota = digest["quota"]
    rfq = quota["rfq"]
    items = [
        f"RFQ quotes: {rfq['left']} of {rfq['quota']} left, "
        f"{rfq['days_to_month_end']} days to month end"
    ]
    for u in quota["users"]:
        week, month = u["publish"]["week"], u["publish"]["month"]
        items.append(
            f"{u['user']}: visitor marketing {u['visitor_left_today']} left today; published "
            f"{week['done']:g}/{week['target']:g} this week, "
            f"{month['done']:g}/{month['target']:g} this month"
        )
    items += [f"! {w}" for w in quota["warnings"]]
    who = f"--owner {digest['user']}" if digest["user"] else "--all"
    for key, lines in (
        ("awaiting_reply", waiting),
        ("due", due),
        ("ungraded", ungraded),
        ("orders_to_chase", orders),
    ):
        hidden = digest["counts"][key] - len(lines)
        if hidden > 0:
            lines.append(f"… and {hidden} more: {MORE_HINTS[key]} {who}")
    sections = [
        ("Awaiting our reply 待回复", waiting, digest["counts"]["awaiting_reply"]),
        ("Follow up 待跟进", due, digest["counts"]["due"]),
        ("New buyers to grade 待评级", ungraded, digest["counts"]["ungraded"]),
        ("Orders to chase 订单跟进", orders, digest["counts"]["orders_to_chase"]),
        ("Quotas and targets 配额", items, None),
    ]
    return [(heading, lines, total) for heading, lines, total in sections if lines]


def render_text(digest: dict[str, Any]) -> str:
    """Plain text for the terminal, cron mail and the mail's text part."""
    title = f"laop daily digest 今日待办 — {digest['user'] or 'team'} — {digest['date']}"
    if digest["empty"]:
        return f"{title}\nNothing needs doing today.\n"
    out = [title]
    for heading, items, total in _lines(digest):
        out += ["", heading if total is None else f"{heading} ({total})"]
        out += [f"  - {item}" for item in items]
    return "\n".join(out) + "\n"


def render_markdown(digest: dict[str, Any]) -> str:
    """Markdown, for chat tools and wikis."""
    title = f"# laop daily digest 今日待办 — {digest['user'] or 'team'} — {digest['date']}"
    if digest["empty"]:
        return f"{title}\n\nNothing needs doing today.\n"
    out = [title]
    for heading, items, _total in _lines(digest):
        out += ["", f"## {heading}", ""]
        out += [f"- {item}" for item in items]
    return "\n".join(out) + "\n"


def render_html(digest: dict[str, Any]) -> str:
    """HTML for the mail's rich part; every value escaped."""
    title = escape(f"laop daily digest 今日待办 — {digest['user'] or 'team'} — {digest['date']}")
    body = [f"<h1>{title}</h1>"]
    if digest["empty"]:
        body.append("<p>Nothing needs doing today.</p>")
    for heading, items, _total in _lines(digest):
        body.append(f"<h2>{escape(heading)}</h2><ul>")
        body += [f"<li>{escape(item)}</li>" for item in items]
        body.append("</ul>")
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        + "".join(body)
        + "</body></html>"
    )
