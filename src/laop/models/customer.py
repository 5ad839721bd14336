"""Buyers, with their derived follow-up state."""

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import user  # noqa: F401
from laop.models.base import StoreModel, UTCDateTime, utcnow

__all__ = ["Customer", "CustomerBase"]


class CustomerBase(StoreModel):
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
    company_key: str = Field(default="", max_length=300)
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
