"""The monthly assessment (业务考核标准, DOMAIN §7), per user and for the team.

Every figure is an SQL aggregate grouped by user; the team's rates are computed from
the team's totals, never averaged over users.

- products published vs target (the target split over salespeople);
- RFQ quotes vs the company-wide quota (base + bonus; a team figure, null per user);
- visitor-marketing sends and hours online;
- timely reply rate, same-day rate, average reply time (services/reply_report.py);
- conversion rate (商机转换率): owned buyers with at least one non-cancelled order
  (samples included) placed by month end ÷ owned buyers acquired by month end;
- new deal customers: owned buyers whose first non-cancelled order falls in the month;
- classification rate (归档分类): buyers acquired in the month with grade, nature,
  source and country ÷ buyers acquired in the month;
- cadence compliance (services/compliance.py).
Buyers count for their current owner; reply clocks for the owner they opened under.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, distinct
from sqlmodel import Session, func, select

from laop.models import ActivityCount, Customer, Order, User, as_decimal
from laop.services.activity import month_days, publish_target, rfq_quota
from laop.services.clock import business_tz, month_bounds
from laop.services.compliance import compliance_by_owner
from laop.services.reply_report import reply_stats

__all__ = ["KPI_KEYS", "monthly_kpis"]

KPI_KEYS = (
    "products_published",
    "publish_target",
    "rfq_quotes",
    "rfq_quota",
    "visitor_marketing",
    "timely_reply_rate",
    "same_day_rate",
    "avg_reply_hours",
    "conversion_rate",
    "new_deal_customers",
    "classification_rate",
    "cadence_compliance",
    "online_hours",
)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _number(value: Any) -> int | float:
    """Counts as integers, hours with their fraction."""
    return int(value) if value == int(value) else float(round(value, 2))


def monthly_kpis(
    session: Session,
    *,
    year: int,
    month: int,
    owner: User | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every KPI of a month for each user (or just ``owner``) and for the team."""
    tz = business_tz(session)
    start, end = month_bounds(year, month, tz)
    days = month_days(year, month)
    users = list(session.exec(select(User).order_by(User.name)))
    counts: dict[int | None, dict[str, Any]] = defaultdict(lambda: defaultdict(int))

    for user_id, kind, total in session.exec(
        select(ActivityCount.user_id, ActivityCount.kind, func.sum(ActivityCount.amount))
        .where(ActivityCount.day >= days[0], ActivityCount.day <= days[-1])
        .group_by(ActivityCount.user_id, ActivityCount.kind)
    ):
        counts[user_id][kind] = as_decimal(total)

    acquired_by_end = Customer.acquired_at < end
    for owner_id, owned in session.exec(
        select(Customer.owner_id, func.count()).where(acquired_by_end).group_by(Customer.owner_id)
    ):
        counts[owner_id]["owned"] = owned
    live = and_(Order.status != "cancelled", Order.ordered_at < end)
    for owner_id, converted in session.exec(
        select(Customer.owner_id, func.count(distinct(Customer.id)))
        .join(Order, Order.customer_id == Customer.id)
        .where(live, acquired_by_end)
        .group_by(Customer.owner_id)
    ):
        counts[owner_id]["converted"] = converted
    first_orders = (
        select(Order.customer_id, func.min(Order.ordered_at).label("first_at"))
        .where(Order.status != "cancelled")
        .group_by(Order.customer_id)
        .subquery()
    )
    for owner_id, deals in session.exec(
        select(Customer.owner_id, func.count())
        .join(first_orders, first_orders.c.customer_id == Customer.id)
        .where(first_orders.c.first_at >= start, first_orders.c.first_at < end)
        .group_by(Customer.owner_id)
    ):
        counts[owner_id]["new_deals"] = deals
    complete = and_(
        Customer.grade.is_not(None),  # type: ignore[union-attr]
        Customer.nature.is_not(None),  # type: ignore[union-attr]
        Customer.source.is_not(None),  # type: ignore[union-attr]
        Customer.country.is_not(None),  # type: ignore[union-attr]
    )
    for owner_id, new, classified in session.exec(
        select(Customer.owner_id, func.count(), func.sum(case((complete, 1), else_=0)))
        .where(Customer.acquired_at >= start, Customer.acquired_at < end)
        .group_by(Customer.owner_id)
    ):
        counts[owner_id]["new"] = new
        counts[owner_id]["classified"] = int(classified or 0)

    replies = reply_stats(session, year=year, month=month, now=now, distribution=False)
    reply_by_name = {row["user"]: row for row in replies["users"]}
    compliance, team_compliance = compliance_by_owner(session, year=year, month=month)
    target, per_person = publish_target(session, year, month)
    quota = rfq_quota(session, year, month)

    def figures(
        c: dict[str, Any], reply: dict[str, Any] | None, cadence: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {
            "products_published": _number(c["publish"]),
            "rfq_quotes": _number(c["rfq"]),
            "visitor_marketing": _number(c["visitor"]),
            "timely_reply_rate": reply["timely_reply_rate"] if reply else None,
            "same_day_rate": reply["same_day_rate"] if reply else None,
            "avg_reply_hours": reply["avg_reply_hours"] if reply else None,
            "conversion_rate": _rate(c["converted"], c["owned"]),
            "new_deal_customers": int(c["new_deals"]),
            "classification_rate": _rate(c["classified"], c["new"]),
            "cadence_compliance": cadence["rate"] if cadence else None,
            "online_hours": _number(c["online"]),
        }

    rows = []
    for user in users:
        if owner is not None and user.id != owner.id:
            continue
        row = figures(counts[user.id], reply_by_name.get(user.name), compliance.get(user.id))
        row["publish_target"] = per_person if user.role == "sales" else None
        row["rfq_quota"] = None  # company-wide: judged for the team
        rows.append({"user": user.name, **{key: row[key] for key in KPI_KEYS}})
    team_counts: dict[str, Any] = defaultdict(int)
    for per_user in counts.values():
        for key, value in per_user.items():
            team_counts[key] += value
    team = figures(team_counts, replies["team"], team_compliance)
    team["publish_target"] = target
    team["rfq_quota"] = quota
    return {
        "month": f"{year:04d}-{month:02d}",
        "users": rows,
        "team": {key: team[key] for key in KPI_KEYS},
    }
