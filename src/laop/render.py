"""Rich views of laop's results for people at a terminal.

Imported only by commands that draw tables, so that scripts asking for --json never
pay for Rich.
"""

from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from laop.listing import progress_cell
from laop.listing import rate_text as _rate
from laop.listing import short_time as _short
from laop.output import console


def grade_cell(grade: str | None) -> str:
    return f"[grade.{grade}]{grade}[/]" if grade else "[grade.none]–[/]"


def render_customers(views: list[dict[str, Any]], *, title: str = "Customers 客户") -> None:
    """A table of buyers."""
    if not views:
        console.print("[muted]No customers.[/muted]")
        return
    table = _compact(f"{title} ({len(views)})")
    names = ["ID", "Buyer 客户", "Contact", "Country", "Grade", "Owner", "Last", "Next"]
    _columns(table, names, wide="Buyer 客户", clipped=("Contact",))
    for v in views:
        table.add_row(
            f"[id]{v['id']}[/id]",
            Text(v["company"] or ""),
            Text(v["contact"] or ""),
            v["country"] or "",
            grade_cell(v["grade"]),
            v["owner"] or "",
            (v["last_contact_at"] or "")[:10],
            "[awaiting]reply![/]" if v["awaiting_since"] else (v["due_on"] or ""),
        )
    console.print(table)


def render_customer(view: dict[str, Any]) -> None:
    """One buyer with its history."""
    name = view["company"] or view["contact"] or f"customer {view['id']}"
    console.print(
        f"[id]#{view['id']}[/id] [bold]{escape(name)}[/bold]  grade {grade_cell(view['grade'])}"
    )
    fields = [
        ("Contact 联系人", view["contact"]),
        ("E-mail 邮箱", ", ".join(view["emails"])),
        ("Phone 电话", ", ".join(view["phones"])),
        ("WhatsApp", ", ".join(view.get("whatsapp", []))),
        (
            "Country 国家",
            f"{view['country_name']} ({view['country']})" if view["country"] else None,
        ),
        ("City 城市", view["city"]),
        ("Region 区域", view["region"]),
        ("Nature 性质", view["nature"]),
        ("Strength 实力", view["strength"]),
        ("Source 来源", view["source"]),
        ("Products 产品", ", ".join(view["products"])),
        ("Owner 业务员", view["owner"]),
        ("Acquired 获得客户时间", _short(view["acquired_at"])),
        ("Last contact 最近联系", _short(view["last_contact_at"])),
        ("Awaiting reply since 待回复", _short(view["awaiting_since"])),
        ("Next due 下次跟进", view["due_on"]),
        ("Notes 备注", view["notes"]),
    ]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="muted")
    grid.add_column()
    for label, value in fields:
        if value:
            grid.add_row(label, Text(str(value)))
    console.print(grid)
    if view.get("open_inquiries"):
        table = Table(title="Open inquiries 未结询盘", title_justify="left")
        for name in ("ID", "Received 收到", "Channel", "Product 产品", "Qty", "Status"):
            table.add_column(name)
        for q in view["open_inquiries"]:
            table.add_row(
                str(q["id"]),
                _short(q["received_at"]),
                q["channel"],
                Text(q["product"] or ""),
                Text(q["quantity"] or ""),
                q["status"],
            )
        console.print(table)
    if view.get("recent_messages"):
        table = Table(title="Recent contacts 最近联系记录", title_justify="left")
        for name in ("When 时间", "Dir", "Channel", "Kind", "By", "Note"):
            table.add_column(name)
        for m in view["recent_messages"]:
            arrow = "→ out" if m["direction"] == "out" else "← in"
            kind = f"{m['kind']} (auto)" if m["auto"] else m["kind"]
            table.add_row(
                _short(m["at"]), arrow, m["channel"], kind, m["user"] or "", Text(m["note"] or "")
            )
        console.print(table)
    if view.get("grade_history"):
        table = Table(title="Grade history 等级变更", title_justify="left")
        for name in ("When 时间", "From", "To", "By", "Reason 原因"):
            table.add_column(name)
        for g in view["grade_history"]:
            table.add_row(
                _short(g["at"]), g["from"] or "–", g["to"], g["user"] or "", Text(g["reason"] or "")
            )
        console.print(table)
    if view.get("events"):
        for event in view["events"]:
            console.print(
                f"[muted]{_short(event['at'])} {event['kind']} by {event['user'] or '?'}: "
                f"{escape(str(event['detail']))}[/muted]"
            )


def render_candidates(rows: list[dict[str, Any]]) -> None:
    """Ranked duplicate candidates, with the evidence for each."""
    if not rows:
        console.print("[muted]No matching customers.[/muted]")
        return
    table = _compact(f"Possible matches 可能重复 ({len(rows)})")
    names = ["#", "ID", "Score", "Buyer 客户", "Country", "Grade", "Owner", "Why"]
    _columns(table, names, wide="Buyer 客户")
    for index, row in enumerate(rows, start=1):
        c = row["customer"]
        buyer = Text(c["company"] or c["contact"] or "")
        if c["company"] and c["contact"]:
            buyer.append(f" · {c['contact']}", style="muted")
        table.add_row(
            str(index),
            f"[id]{c['id']}[/id]",
            f"{row['score']:.0f}",
            buyer,
            c["country"] or "",
            grade_cell(c["grade"]),
            c["owner"] or "",
            Text("; ".join(row["reasons"])),
        )
    console.print(table)


def render_users(rows: list[dict[str, Any]]) -> None:
    """The team."""
    table = Table(title="Users 用户", title_justify="left")
    for name in ("ID", "Name", "Role 角色", "Sub-account 子账号", "E-mail"):
        table.add_column(name)
    for u in rows:
        table.add_row(str(u["id"]), u["name"], u["role"], u["subaccount"] or "", u["email"] or "")
    console.print(table)


def render_settings(rows: list[dict[str, Any]]) -> None:
    """Settings with defaults dimmed."""
    table = Table(title="Settings 设置", title_justify="left")
    table.add_column("Key")
    table.add_column("Value")
    for row in rows:
        value = f"[muted]{row['value']} (default)[/muted]" if row["default"] else str(row["value"])
        table.add_row(row["key"], value)
    console.print(table)


def _columns(table: Table, names: list[str], *, wide: str, clipped: tuple[str, ...] = ()) -> None:
    # Short columns never wrap; the buyer's name wraps; free text is cut short.
    for name in names:
        if name == wide:
            table.add_column(name, min_width=16)
        elif name in clipped:
            table.add_column(name, max_width=12, no_wrap=True, overflow="ellipsis")
        else:
            table.add_column(name, no_wrap=name != "Why")


def _compact(title: str, **style: Any) -> Table:
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        **style,
    )


def render_a_list(report: dict[str, Any]) -> None:
    """The manager's monthly A-grade list."""
    rows = report["customers"]
    table = Table(
        title=f"A-grade buyers A级客户 {report['month']} ({len(rows)})", title_justify="left"
    )
    for name in (
        "ID",
        "Company 公司",
        "Country",
        "Owner",
        "Out/In this month",
        "Last contact",
        "Next",
        "Open inquiries 询盘",
    ):
        table.add_column(name)
    for r in rows:
        counts = r["contacts_in_month"]
        nxt = "[awaiting]reply![/]" if r["awaiting_reply"] else (r["due_on"] or "")
        inquiries = ", ".join(f"{q['product'] or '?'} ({q['status']})" for q in r["open_inquiries"])
        table.add_row(
            f"[id]{r['customer_id']}[/id]",
            Text(r["company"] or r["contact"] or ""),
            r["country"] or "",
            r["owner"] or "",
            f"{counts.get('out', 0)}/{counts.get('in', 0)}",
            _short(r["last_contact_at"]),
            nxt,
            Text(inquiries),
        )
    console.print(table)


def render_compliance(report: dict[str, Any]) -> None:
    """Cadence compliance by grade."""
    who = report["owner"] or "team"
    table = Table(
        title=f"Cadence compliance 跟进达标率 {report['month']} — {who} (as of {report['as_of']})",
        title_justify="left",
    )
    for name in ("Grade", "Required", "Assessed", "Compliant", "Rate"):
        table.add_column(name, justify="right")
    required = {"A": "2 / week", "B": "1 / week", "C": "1 / half month", "D": "1 / month"}
    for grade, row in report["by_grade"].items():
        table.add_row(
            grade_cell(grade),
            required[grade],
            str(row["assessed"]),
            str(row["compliant"]),
            _rate(row["rate"]),
        )
    table.add_row(
        "[bold]all[/bold]",
        "",
        str(report["assessed"]),
        str(report["compliant"]),
        f"[bold]{_rate(report['rate'])}[/bold]",
    )
    console.print(table)


def render_open_clocks(rows: list[dict[str, Any]]) -> None:
    """Buyers waiting for our reply, with their SLA deadline."""
    if not rows:
        console.print("[ok]Nobody is waiting for a reply.[/ok]")
        return
    table = _compact(f"Awaiting our reply 待回复 ({len(rows)})", title_style="awaiting")
    names = ["ID", "Buyer 客户", "Owner", "Via", "Deadline", "Left"]
    _columns(table, names, wide="Buyer 客户")
    for r in rows:
        hours = abs(r["hours_left"])
        amount = f"{hours:.0f}h" if hours >= 10 else f"{hours:.1f}h"
        left = f"[overdue]{amount} late[/overdue]" if r["breached"] else amount
        table.add_row(
            f"[id]{r['customer_id']}[/id]",
            Text(r["company"] or r["contact"] or ""),
            r["owner"] or "",
            r["channel"],
            _short(r["sla_deadline"])[5:],
            left,
        )
    console.print(table)


def render_inquiries(rows: list[dict[str, Any]]) -> None:
    """Open inquiries."""
    if not rows:
        console.print("[muted]No open inquiries.[/muted]")
        return
    several_owners = len({r["owner"] for r in rows}) > 1
    table = _compact(f"Open inquiries 未结询盘 ({len(rows)})")
    names = ["ID", "Buyer 客户", "Owner", "Received", "Product 产品", "Qty", "Status", "Wait"]
    if not several_owners:
        names.remove("Owner")
    _columns(table, names, wide="Buyer 客户", clipped=("Product 产品", "Qty"))
    for r in rows:
        cells = [
            str(r["inquiry_id"]),
            Text(r["company"] or r["contact"] or ""),
            r["owner"] or "",
            r["received_at"][5:10],
            Text(r["product"] or ""),
            Text(r["quantity"] or ""),
            r["status"],
            "[awaiting]yes[/]" if r["awaiting_reply"] else "",
        ]
        if not several_owners:
            del cells[2]
        table.add_row(*cells)
    console.print(table)


def render_replies(report: dict[str, Any]) -> None:
    """Reply KPIs per user and for the team, with the distribution as bars."""
    table = _compact(f"Reply speed 回复速度 {report['month']}")
    for name in ("User", "Clocks", "Timely 及时回复率", "Same day 当天回复", "Avg 平均回复时长"):
        table.add_column(name, justify="right" if name != "User" else "left")
    for row in [*report["users"], {"user": "team", **report["team"]}]:
        avg = "–" if row["avg_reply_hours"] is None else f"{row['avg_reply_hours']:.1f} h"
        table.add_row(
            "[bold]team[/bold]"
            if row is not None and row["user"] == "team"
            else (row["user"] or "–"),
            str(row["clocks"]),
            _rate(row["timely_reply_rate"]),
            _rate(row["same_day_rate"]),
            avg,
        )
    console.print(table)
    bins = report["team"]["distribution"]
    widest = max((b["count"] for b in bins), default=0)
    if not widest:
        return
    console.print("\nReply time distribution 回复时长分布 (team)")
    for b in bins:
        bar = "█" * max(1, round(30 * b["count"] / widest)) if b["count"] else ""
        console.print(f"  {b['bucket']:>5} [ok]{bar}[/ok] {b['count']}")


def render_orders(rows: list[dict[str, Any]]) -> None:
    """Orders."""
    if not rows:
        console.print("[muted]No orders.[/muted]")
        return
    table = _compact(f"Orders 订单 ({len(rows)})")
    names = ["ID", "Buyer 客户", "Kind", "Amount", "Status", "ETD", "Ordered", "Tracking"]
    _columns(table, names, wide="Buyer 客户", clipped=("Tracking",))
    for r in rows:
        table.add_row(
            str(r["id"]),
            Text(r["company"] or ""),
            r["kind"],
            f"{r['amount']} {r['currency']}",
            r["status"],
            r["etd"] or "",
            r["ordered_at"][5:10],
            Text(r["tracking"] or ""),
        )
    console.print(table)


def _progress(done: float, target: float) -> str:
    text, style = progress_cell(done, target)
    return f"[{style}]{text}[/{style}]"


def render_quota(status: dict[str, Any]) -> None:
    """Quota and target status for a day."""
    rfq = status["rfq"]
    to_15 = "passed" if rfq["days_to_15th"] is None else f"{rfq['days_to_15th']} days"
    console.print(
        f"[bold]RFQ 报价[/bold] {rfq['used']}/{rfq['quota']} used, "
        f"[bold]{rfq['left']} left[/bold] · "
        f"to the 15th: {to_15} · to month end: {rfq['days_to_month_end']} days"
    )
    table = _compact(f"Today {status['date']} (platform day {status['platform_date']})")
    for name in (
        "User",
        "Visitor left 访客营销",
        "Published today 发品",
        "This week",
        "This month",
    ):
        table.add_column(name, justify="left" if name == "User" else "right")
    for u in status["users"]:
        p = u["publish"]
        table.add_row(
            u["user"],
            f"{u['visitor_left_today']}/{status['visitor_daily_cap']}",
            _progress(p["day"]["done"], p["day"]["target"]),
            _progress(p["week"]["done"], p["week"]["target"]),
            _progress(p["month"]["done"], p["month"]["target"]),
        )
    console.print(table)
    for warning in status["warnings"]:
        console.print(f"[warn]! {escape(warning)}[/warn]")


def render_stats(rows: list[dict[str, Any]], *, by: str) -> None:
    """Counts with proportional bars."""
    if not rows:
        console.print("[muted]No customers.[/muted]")
        return
    table = _compact(f"Customers by {by} 客户统计")
    table.add_column(by.capitalize())
    table.add_column("Count", justify="right")
    table.add_column("Share", justify="right")
    table.add_column("")
    widest = max(r["count"] for r in rows)
    for r in rows:
        bar = "█" * max(1, round(24 * r["count"] / widest))
        table.add_row(Text(str(r["label"])), str(r["count"]), _rate(r["share"]), f"[ok]{bar}[/ok]")
    console.print(table)
