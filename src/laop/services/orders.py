"""Orders (样品单 and regular orders) and their status flow."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from laop.errors import ConflictError, InvalidInput, NotFound
from laop.models import Customer, CustomerEvent, Order, User, utcnow
from laop.services.clock import business_tz, iso_local

__all__ = [
    "OPEN_STATUSES",
    "STATUS_FLOW",
    "add_order",
    "list_orders",
    "money_text",
    "order_view",
    "parse_amount",
    "parse_currency",
    "set_status",
]

STATUS_FLOW = ("draft", "confirmed", "in-production", "shipped", "delivered")
OPEN_STATUSES = ("draft", "confirmed", "in-production", "shipped")
KINDS = ("sample", "regular")


def parse_amount(value: str) -> Decimal:
    """An order amount: a positive decimal with at most 4 decimal places."""
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise InvalidInput(f"The amount {value!r} is not a number; give e.g. 1250.50.") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"The amount {value!r} must be above 0.")
    if -amount.as_tuple().exponent > 4:  # type: ignore[operator]
        raise InvalidInput(f"The amount {value!r} has more than 4 decimal places.")
    if amount >= Decimal(10) ** 14:
        raise InvalidInput(f"The amount {value!r} is too large.")
    return amount


def parse_currency(value: str) -> str:
    """An ISO 4217 currency code (USD, EUR, CNY …)."""
    import pycountry

    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise InvalidInput(
            f"Unknown currency {value!r}; give an ISO 4217 code such as USD, EUR or CNY."
        )
    return code


def _check_status(value: str) -> str:
    status = value.strip().lower()
    if status not in (*STATUS_FLOW, "cancelled"):
        accepted = ", ".join((*STATUS_FLOW, "cancelled"))
        raise InvalidInput(f"Unknown order status {value!r}; use one of: {accepted}.")
    return status


def add_order(
    session: Session,
    customer: Customer,
    *,
    kind: str,
    amount: str,
    currency: str,
    actor: User,
    status: str = "draft",
    etd: date | None = None,
    at: datetime | None = None,
    note: str | None = None,
) -> Order:
    """Record an order for a buyer."""
    clean_kind = kind.strip().lower()
    if clean_kind not in KINDS:
        raise InvalidInput(f"Unknown order kind {kind!r}; use sample or regular.")
    order = Order(
        customer_id=customer.id,
        kind=clean_kind,
        status=_check_status(status),
        amount=parse_amount(amount),
        currency=parse_currency(currency),
        etd=etd,
        note=(note or "").strip() or None,
        user_id=actor.id,
        ordered_at=at or utcnow().replace(microsecond=0),
    )
    session.add(order)
    session.flush()
    return order


def set_status(
    session: Session, order_id: int, status: str, *, actor: User, tracking: str | None = None
) -> Order:
    """Move an order one step along draft → confirmed → in-production → shipped →
    delivered, or cancel it while it is open. The change is kept in the buyer's history.
    """
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"No order with id {order_id}.")
    new = _check_status(status)
    old = order.status
    if new == "cancelled":
        allowed = old in OPEN_STATUSES
    else:
        allowed = old in STATUS_FLOW and STATUS_FLOW.index(new) == STATUS_FLOW.index(old) + 1
    if not allowed:
        following = _next_steps(old)
        raise ConflictError(
            f"Order {order_id} cannot go from {old} to {new}; "
            + (f"next: {following}." if following else "it is closed.")
        )
    order.status = new
    if tracking:
        order.tracking = tracking.strip()
    order.updated_at = utcnow()
    session.add(order)
    session.add(
        CustomerEvent(
            customer_id=order.customer_id,
            kind="order",
            detail={"order_id": order.id, "from": old, "to": new, "tracking": order.tracking},
            user_id=actor.id,
        )
    )
    session.flush()
    return order


def money_text(amount: Decimal) -> str:
    """A decimal amount as text with at least two decimal places: 1250.50, 0.1234."""
    text = f"{amount.quantize(Decimal('0.0001')):f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _next_steps(status: str) -> str:
    if status not in OPEN_STATUSES:
        return ""
    following = STATUS_FLOW[STATUS_FLOW.index(status) + 1]
    return f"{following} or cancelled"


def order_view(
    order: Order, *, tz: Any, company: str | None = None, owner: str | None = None
) -> dict[str, Any]:
    """The JSON shape of an order; the amount is a decimal string."""
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "company": company,
        "owner": owner,
        "kind": order.kind,
        "status": order.status,
        "amount": str(
            order.amount.quantize(Decimal("0.01"))
            if order.amount == order.amount.quantize(Decimal("0.01"))
            else order.amount
        ),
        "currency": order.currency,
        "etd": order.etd.isoformat() if order.etd else None,
        "tracking": order.tracking,
        "ordered_at": iso_local(order.ordered_at, tz),
    }


def list_orders(
    session: Session, *, owner: User | None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Orders of ``owner``'s buyers (None: everyone), newest first."""
    tz = business_tz(session)
    statement = (
        select(Order, Customer.company, Customer.contact, Customer.owner_id)
        .join(Customer, Customer.id == Order.customer_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())  # type: ignore[attr-defined]
    )
    if owner is not None:
        statement = statement.where(Customer.owner_id == owner.id)
    if open_only:
        statement = statement.where(Order.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
    names = {u.id: u.name for u in session.exec(select(User))}
    return [
        order_view(order, tz=tz, company=company or contact, owner=names.get(owner_id))
        for order, company, contact, owner_id in session.exec(statement)
    ]
