"""Every table of the laop store (DOMAIN §2).

Instants are stored as naive UTC (see UTCDateTime) and handled in Python as aware UTC
datetimes. Business days are derived with the business time zone when read.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "ActivityCount",
    "Customer",
    "CustomerContact",
    "CustomerEvent",
    "CustomerProduct",
    "ExactDecimal",
    "GradeChange",
    "Inquiry",
    "Message",
    "MonthlyTarget",
    "Order",
    "ReplyClock",
    "Setting",
    "UTCDateTime",
    "User",
    "as_decimal",
    "utcnow",
]


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as naive UTC on every engine and read back aware in UTC.

    Naive storage keeps SQL comparisons identical on SQLite (no time-zone type) and
    PostgreSQL; values without an offset are taken to be UTC already.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL over SQLite returns text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite hands back the stored text: one C-level parse per value instead of
        # SQLAlchemy's parser followed by process_result_value (lists read thousands).
        return _sqlite_instant


def _sqlite_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        # Stored naive UTC: parsed with its offset spelled out, which is several times
        # cheaper than datetime.replace(tzinfo=UTC) afterwards.
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text written by other tools, with an offset of its own
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal with 4 places, stored exactly as an integer count of 1/10,000.

    SQLite has no exact decimal type (NUMERIC becomes a float); an integer is exact on
    every engine and SUM() stays exact too.
    """

    impl = BigInteger
    cache_ok = True
    SCALE = 10_000

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * self.SCALE).to_integral_value())

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)) / self.SCALE


def as_decimal(value: Any) -> Decimal:
    """An SQL SUM() over an ExactDecimal column (already a Decimal; None when no rows)."""
    return Decimal(0) if value is None else Decimal(value)


class _Lazy(SQLModel):
    # Pydantic builds a model's validators when first used rather than at import:
    # most commands never validate a table row, and start-up is a hot path.
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]


class User(_Lazy, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=80)
    role: str = Field(default="sales", max_length=16)
    subaccount: str | None = Field(default=None, max_length=80)
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustomerBase(_Lazy):
    company: str | None = Field(default=None, max_length=300)
    contact: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2, index=True)
    city: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=40)
    nature: str | None = Field(default=None, max_length=20)
    strength: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=20)
    grade: str | None = Field(default=None, max_length=1)
    notes: str | None = None


class Customer(CustomerBase, table=True):
    __table_args__ = (
        Index("ix_customer_owner_due", "owner_id", "due_on"),
        Index("ix_customer_owner_awaiting", "owner_id", "awaiting_since"),
        Index("ix_customer_owner_acquired", "owner_id", "acquired_at"),
        Index("ix_customer_due", "due_on"),
        Index("ix_customer_acquired", "acquired_at"),
        Index("ix_customer_awaiting", "awaiting_since"),
        Index("ix_customer_grade_owner", "grade", "owner_id", "acquired_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    # Normalised names for duplicate lookup (services/normalize.py).
    company_key: str = Field(default="", index=True, max_length=300)
    contact_key: str = Field(default="", max_length=200)
    # Acquisition date (获得客户时间): first inquiry or message, or the date a sheet gives.
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Follow-up state derived from the message log and the grade (services/cadence.py);
    # stored so that the due list is one indexed query at 100,000 buyers.
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_out_day: date | None = None
    last_in_channel: str | None = Field(default=None, max_length=20)
    awaiting_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_on: date | None = None


class CustomerContact(_Lazy, table=True):
    """One e-mail address or phone number of a buyer, normalised for exact lookup."""

    __tablename__ = "customer_contact"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "value"),
        Index("ix_customer_contact_value", "kind", "value"),
        Index("ix_customer_contact_domain", "domain"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=8)  # "email" or "phone"
    value: str = Field(max_length=254)
    # Company e-mail domain; None for phones and free-mail addresses.
    domain: str | None = Field(default=None, max_length=254)
    whatsapp: bool = False
    position: int = 0


class CustomerProduct(_Lazy, table=True):
    __tablename__ = "customer_product"
    __table_args__ = (UniqueConstraint("customer_id", "product"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    product: str = Field(max_length=200, index=True)
    position: int = 0


class GradeChange(_Lazy, table=True):
    __tablename__ = "grade_change"
    __table_args__ = (
        Index("ix_grade_change_customer_at", "customer_id", "at"),
        Index("ix_grade_change_at", "at", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    old_grade: str | None = Field(default=None, max_length=1)
    new_grade: str = Field(max_length=1)
    reason: str | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustomerEvent(_Lazy, table=True):
    """The buyer's history of edits that are not messages: merges, owner changes."""

    __tablename__ = "customer_event"
    __table_args__ = (Index("ix_customer_event_customer_at", "customer_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(max_length=20)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Message(_Lazy, table=True):
    """One contact with a buyer, in either direction (DOMAIN §2)."""

    __table_args__ = (
        Index("ix_message_customer_at", "customer_id", "at"),
        Index("ix_message_user_at", "user_id", "at"),
        Index("ix_message_at", "at"),
        # Covers "our outbound contacts in a period" (cadence compliance, reports)
        # without touching the table rows.
        Index("ix_message_direction_at", "direction", "auto", "at", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    channel: str = Field(max_length=20)
    direction: str = Field(max_length=3)
    kind: str = Field(default="other", max_length=20)
    auto: bool = False
    note: str | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Inquiry(_Lazy, table=True):
    """An opportunity (询盘/商机) opened by a buyer's message."""

    __table_args__ = (
        Index("ix_inquiry_customer_status", "customer_id", "status"),
        Index("ix_inquiry_received_at", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    channel: str = Field(max_length=20)
    product: str | None = Field(default=None, max_length=200)
    quantity: str | None = Field(default=None, max_length=80)
    message: str | None = None
    status: str = Field(default="new", max_length=10)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReplyClock(_Lazy, table=True):
    """One wait for our reply (DOMAIN §5), derived from the message log.

    Rebuilt for a buyer whenever its log changes (services/replies.py); stored so that
    a month's reply KPIs are one aggregate query over an index.
    """

    __tablename__ = "reply_clock"
    __table_args__ = (
        Index("ix_reply_clock_owner_opened", "owner_id", "opened_at"),
        # Covers the month's reply statistics (services/reply_report.reply_stats).
        Index(
            "ix_reply_clock_opened_stats",
            "opened_at",
            "owner_id",
            "closed_at",
            "deadline",
            "timely",
            "same_day",
            "reply_seconds",
        ),
        Index("ix_reply_clock_open", "closed_at", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    # The buyer's owner when the clock opened: the clock stays theirs after a reassignment.
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    first_message_id: int | None = Field(default=None, foreign_key="message.id")
    channel: str = Field(max_length=20)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    opened_day: date
    deadline: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=10)  # "reply" or "spam"
    reply_seconds: int | None = None
    timely: bool | None = None
    same_day: bool | None = None


class Order(_Lazy, table=True):
    """A sample (样品单) or regular order; amounts are exact decimals."""

    __tablename__ = "customer_order"  # ORDER is an SQL keyword
    __table_args__ = (
        Index("ix_order_customer_ordered", "customer_id", "ordered_at"),
        Index("ix_order_ordered", "ordered_at"),
        Index("ix_order_status_etd", "status", "etd"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(max_length=10)  # "sample" or "regular"
    status: str = Field(default="draft", max_length=16)
    amount: Decimal = Field(sa_type=ExactDecimal)
    currency: str = Field(max_length=3)
    etd: date | None = None
    tracking: str | None = Field(default=None, max_length=120)
    note: str | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id")
    ordered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActivityCount(_Lazy, table=True):
    """Products published, RFQ quotes, visitor-marketing sends or online hours, per user per day."""

    __tablename__ = "activity_count"
    __table_args__ = (
        Index("ix_activity_user_day", "user_id", "day"),
        Index("ix_activity_day_kind", "day", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=10)  # publish, rfq, visitor, online
    day: date
    amount: Decimal = Field(sa_type=ExactDecimal)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MonthlyTarget(_Lazy, table=True):
    """A month's publishing target or RFQ bonus quota (company-wide)."""

    __tablename__ = "monthly_target"

    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    kind: str = Field(primary_key=True, max_length=12)  # "publish" or "rfq-bonus"
    value: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Setting(_Lazy, table=True):
    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
