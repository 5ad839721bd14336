"""Settings stored in the database (services/settings.py)."""

from datetime import datetime

from sqlmodel import Field

from laop.models.base import StoreModel, UTCDateTime, utcnow

__all__ = ["Setting"]


class Setting(StoreModel, table=True):
    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
