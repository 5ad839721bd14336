"""The team: salespeople and managers."""

from datetime import datetime

from sqlmodel import Field

from laop.models.base import StoreModel, UTCDateTime, utcnow

__all__ = ["User"]


class User(StoreModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=80)
    role: str = Field(default="sales", max_length=16)
    subaccount: str | None = Field(default=None, max_length=80)
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
