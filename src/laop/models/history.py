"""A buyer's grade changes and other events (merges, owner changes, imports)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import customer, user  # noqa: F401
from laop.models.base import StoreModel, UTCDateTime, utcnow

__all__ = ["CustomerEvent", "GradeChange"]


class GradeChange(StoreModel, table=True):
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


class CustomerEvent(StoreModel, table=True):
    """The buyer's history of edits that are not messages: merges, owner changes."""

    __tablename__ = "customer_event"
    __table_args__ = (Index("ix_customer_event_customer_at", "customer_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(max_length=20)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
