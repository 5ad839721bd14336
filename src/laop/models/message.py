"""Every contact with a buyer, either way."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import customer, user  # noqa: F401
from laop.models.base import StoreModel, UTCDateTime, utcnow

__all__ = ["Message"]


class Message(StoreModel, table=True):
    """One contact with a buyer, in either direction (DOMAIN §2)."""

    __table_args__ = (
        Index("ix_message_customer_at", "customer_id", "at"),
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
