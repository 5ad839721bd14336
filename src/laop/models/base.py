"""What every table shares: instants in UTC, exact decimals, and the model base."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import BigInteger, DateTime, TypeDecorator
from sqlmodel import SQLModel

__all__ = ["ExactDecimal", "StoreModel", "UTCDateTime", "as_decimal", "stored_instant", "utcnow"]


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


def stored_instant(value: datetime | str | None) -> datetime | None:
    """An instant as raw SQL returns it (SQLite text, a naive datetime), aware in UTC."""
    if value is None or isinstance(value, str):
        return _sqlite_instant(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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


class StoreModel(SQLModel):
    # Pydantic builds a model's validators when first used rather than at import:
    # most commands never validate a table row, and start-up is a hot path.
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]
