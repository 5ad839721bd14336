"""Sample and regular orders."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import customer, user  # noqa: F401
from laop.models.base import ExactDecimal, StoreModel, UTCDateTime, utcnow

__all__ = ["Order"]


class Order(StoreModel, table=True):
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
