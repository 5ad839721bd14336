"""Customer statistics (利用买家数据库进行统计): counts by region, country, nature, source,
product, strength and grade, plus new customers and orders by week.

The Statistics sheet of the workbook and `laop stats` read the same functions.
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import literal_column
from sqlmodel import Session, func, select

from laop.errors import InvalidInput
from laop.models import Customer, CustomerProduct, Order, User
from laop.services.clock import business_day, business_tz, month_bounds

__all__ = ["DIMENSIONS", "counts_by", "weekly_counts"]

DIMENSIONS = ("region", "country", "nature", "source", "product", "strength", "grade")
UNSET = "(not set)"


def counts_by(
    session: Session, dimension: str, *, owner: User | None = None
) -> list[dict[str, Any]]:
    """Buyers per value of ``dimension``, most first; buyers without a value count as unset."""
    if dimension not in DIMENSIONS:
        raise InvalidInput(f"Unknown statistic {dimension!r}; use one of: {', '.join(DIMENSIONS)}.")
    if dimension == "product":
        column = CustomerProduct.product
        statement = select(column, func.count(func.distinct(CustomerProduct.customer_id))).join(
            Customer, Customer.id == CustomerProduct.customer_id
        )
    else:
        column = getattr(Customer, dimension)
        statement = select(column, func.count()).select_from(Customer)
    if owner is not None:
        statement = statement.where(Customer.owner_id == owner.id)
    rows = session.exec(statement.group_by(column)).all()
    total = session.exec(
        select(func.count())
        .select_from(Customer)
        .where(Customer.owner_id == owner.id if owner is not None else literal_column("1") == 1)
    ).one()
    result = [
        {"value": value if value is not None else UNSET, "count": count} for value, count in rows
    ]
    if dimension == "country":
        from laop.services.normalize import country_name

        for row in result:
            if row["value"] != UNSET:
                row["label"] = (
                    f"{country_name(row['value'])} {country_name(row['value'], lang='zh')}"
                )
    result.sort(key=lambda r: (-r["count"], str(r["value"])))
    for row in result:
        row["share"] = round(row["count"] / total, 4) if total else None
        row.setdefault("label", row["value"])
    return result


def weekly_counts(
    session: Session, *, year: int, month: int, owner: User | None = None
) -> list[dict[str, Any]]:
    """New customers (by acquisition) and orders (not cancelled) per ISO week of a month."""
    tz = business_tz(session)
    start, end = month_bounds(year, month, tz)
    acquired = select(Customer.acquired_at).where(
        Customer.acquired_at >= start, Customer.acquired_at < end
    )
    ordered = (
        select(Order.ordered_at)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.ordered_at >= start, Order.ordered_at < end, Order.status != "cancelled")
    )
    if owner is not None:
        acquired = acquired.where(Customer.owner_id == owner.id)
        ordered = ordered.where(Customer.owner_id == owner.id)
    first = date(year, month, 1)
    weeks: dict[date, dict[str, Any]] = {}
    monday = first - timedelta(days=first.weekday())
    following = date(year + month // 12, month % 12 + 1, 1)
    while monday < following:
        iso = monday.isocalendar()
        weeks[monday] = {
            "week": f"{iso.year}-W{iso.week:02d}",
            "starts": max(monday, first).isoformat(),
            "new_customers": 0,
            "orders": 0,
        }
        monday += timedelta(days=7)
    # Few rows per month: bucketing by business-day week in Python keeps it engine-neutral.
    for moment in session.exec(acquired):
        _bucket(weeks, business_day(moment, tz))["new_customers"] += 1
    for moment in session.exec(ordered):
        _bucket(weeks, business_day(moment, tz))["orders"] += 1
    return list(weeks.values())


def _bucket(weeks: dict[date, dict[str, Any]], day: date) -> dict[str, Any]:
    return weeks[day - timedelta(days=day.weekday())]
