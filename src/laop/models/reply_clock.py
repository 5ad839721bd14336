"""Reply clocks: how fast each buyer's message was answered."""

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import customer, message, user  # noqa: F401
from laop.models.base import StoreModel, UTCDateTime

__all__ = ["ReplyClock"]


class ReplyClock(StoreModel, table=True):
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
