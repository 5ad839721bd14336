"""Daily activity counts and monthly targets."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import user  # noqa: F401
from laop.models.base import ExactDecimal, StoreModel, UTCDateTime, utcnow

__all__ = ["ActivityCount", "MonthlyTarget"]


class ActivityCount(StoreModel, table=True):
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


class MonthlyTarget(StoreModel, table=True):
    """A month's publishing target or RFQ bonus quota (company-wide)."""

    __tablename__ = "monthly_target"

    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    kind: str = Field(primary_key=True, max_length=12)  # "publish" or "rfq-bonus"
    value: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
