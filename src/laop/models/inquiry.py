"""Inquiries (询盘) and their status."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import customer, message  # noqa: F401
from laop.models.base import StoreModel, UTCDateTime, utcnow

__all__ = ["Inquiry"]


class Inquiry(StoreModel, table=True):
    """An opportunity (询盘/商机) opened by a buyer's message."""

    __table_args__ = (
        # A buyer's inquiries newest first, with what the due list reads of them.
        Index(
            "ix_inquiry_customer_newest", "customer_id", "received_at", "id", "status", "product"
        ),
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
