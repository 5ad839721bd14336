"""Values written into SQL text by laop itself (never user input), as the store keeps them."""

from datetime import UTC, datetime

__all__ = ["instant_literal"]


def instant_literal(moment: datetime) -> str:
    """An instant as stored: naive UTC text, which SQLite compares as text and
    PostgreSQL reads as a timestamp."""
    return "'" + moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
