"""The customer statistics workbook (客户信息统计表, DOMAIN §8).

Written with openpyxl's write-only mode, streaming rows from the database in chunks,
so a 100,000-buyer month never sits in memory. Every cell that holds text from a buyer
or a user is a string cell; text that a spreadsheet could read as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or CR) is also marked quote-prefixed, so that even
editing the cell in Excel, LibreOffice or WPS never runs it.
"""

import functools
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, func, select

from laop.models import Customer, CustomerContact, CustomerProduct, Message, Order, User
from laop.services.clock import business_tz, month_bounds
from laop.services.kpi import monthly_kpis
from laop.services.reports import a_list
from laop.services.stats import DIMENSIONS, counts_by, weekly_counts

__all__ = ["FORMULA_PREFIXES", "customer_count", "text_cell", "write_workbook"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 5_000
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
# Dates and times keep openpyxl's own formats (yyyy-mm-dd, yyyy-mm-dd h:mm:ss): a
# custom format would cost a styled cell object for each of hundreds of thousands.
DATE = None
DATETIME = None
PERCENT = "0.0%"

CUSTOMER_COLUMNS = [
    ("ID", 8, None),
    ("公司 / Company", 32, None),
    ("联系人 / Contact", 20, None),
    ("邮箱 / E-mails", 30, None),
    ("电话 / Phones", 20, None),
    ("WhatsApp", 18, None),
    ("国家 / Country", 9, None),
    ("国家名 / Country name", 18, None),
    ("城市 / City", 14, None),
    ("区域 / Region", 16, None),
    ("性质 / Nature", 13, None),
    ("实力 / Strength", 16, None),
    ("来源 / Source", 16, None),
    ("产品 / Products", 28, None),
    ("等级 / Grade", 9, None),
    ("业务员 / Owner", 12, None),
    ("获得客户时间 / Acquired", 17, DATETIME),
    ("首次联系 / First contact", 17, DATETIME),
    ("最近联系 / Last contact", 17, DATETIME),
    ("下次跟进 / Next due", 13, DATE),
    ("待回复 / Awaiting since", 17, DATETIME),
    ("订单数 / Orders", 10, None),
    ("备注 / Notes", 40, None),
]
MESSAGE_COLUMNS = [
    ("时间 / When", 17, DATETIME),
    ("客户ID / Customer ID", 10, None),
    ("公司 / Company", 32, None),
    ("方向 / Direction", 10, None),
    ("渠道 / Channel", 12, None),
    ("类型 / Kind", 14, None),
    ("自动 / Automatic", 10, None),
    ("业务员 / By", 12, None),
    ("备注 / Note", 50, None),
]
KPI_COLUMNS = [
    ("业务员 / User", "user", 14, None),
    ("发品 / Products published", "products_published", 14, None),
    ("发品目标 / Publish target", "publish_target", 14, None),
    ("RFQ报价 / RFQ quotes", "rfq_quotes", 12, None),
    ("RFQ配额 / RFQ quota", "rfq_quota", 12, None),
    ("访客营销 / Visitor marketing", "visitor_marketing", 14, None),
    ("及时回复率 / Timely reply rate", "timely_reply_rate", 14, PERCENT),
    ("当天回复率 / Same-day rate", "same_day_rate", 14, PERCENT),
    ("平均回复时长(小时) / Avg reply hours", "avg_reply_hours", 16, "0.0"),
    ("商机转换率 / Conversion rate", "conversion_rate", 14, PERCENT),
    ("新成交客户 / New deal customers", "new_deal_customers", 14, None),
    ("归档分类 / Classification rate", "classification_rate", 14, PERCENT),
    ("跟进达标率 / Cadence compliance", "cadence_compliance", 14, PERCENT),
    ("在线时长 / Online hours", "online_hours", 12, "0.0"),
]
A_LIST_COLUMNS = [
    ("ID", 8, None),
    ("公司 / Company", 32, None),
    ("国家 / Country", 9, None),
    ("业务员 / Owner", 12, None),
    ("本月去信 / Out this month", 12, None),
    ("本月来信 / In this month", 12, None),
    ("最近联系 / Last contact", 17, DATETIME),
    ("下次跟进 / Next due", 13, DATE),
    ("待回复 / Awaiting reply", 10, None),
    ("未结询盘 / Open inquiries", 50, None),
]
DIMENSION_TITLES = {
    "region": "区域 / Region",
    "country": "国家 / Country",
    "nature": "性质 / Nature",
    "source": "来源 / Source",
    "product": "产品 / Product",
    "strength": "实力 / Strength",
    "grade": "等级 / Grade",
}


def write_workbook(
    session: Session,
    path: Path,
    *,
    year: int,
    month: int,
    owner: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write the month's workbook to ``path`` (atomically: a temporary file, then renamed)."""
    tz = business_tz(session)
    book = Workbook(write_only=True)
    done = 0

    def step(rows: int) -> None:
        nonlocal done
        done += rows
        if progress:
            progress(done)

    customers = _customers_sheet(book, session, tz=tz, owner=owner, step=step)
    messages = _messages_sheet(book, session, tz=tz, year=year, month=month, owner=owner)
    kpis = monthly_kpis(session, year=year, month=month, owner=owner)
    _kpi_sheet(book, kpis)
    _a_list_sheet(book, a_list(session, year=year, month=month, owner=owner), tz)
    _statistics_sheet(book, session, year=year, month=month, owner=owner)
    target = path.expanduser().resolve()
    temporary = target.with_name(f".{target.name}.partial")
    book.save(temporary)
    temporary.replace(target)
    return {
        "path": str(target),
        "month": f"{year:04d}-{month:02d}",
        "customers": customers,
        "follow_ups": messages,
        "kpi": kpis,
    }


def customer_count(session: Session, owner: User | None) -> int:
    """How many rows the Customers sheet will have (for a progress bar)."""
    return session.exec(_owned(select(func.count()).select_from(Customer), owner)).one()


def _owned(statement: Any, owner: User | None) -> Any:
    return statement.where(Customer.owner_id == owner.id) if owner is not None else statement


def text_cell(sheet: Any, value: str) -> Any:
    """A cell that is text whatever it starts with."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _value(sheet: Any, value: Any, number_format: str | None) -> Any:
    if isinstance(value, str):
        return text_cell(sheet, value) if value.startswith(FORMULA_PREFIXES) else value
    if number_format and value is not None:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell
    return value


def _display_width(text: str) -> int:
    # Chinese characters take two columns in Excel's width unit.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet(book: Workbook, title: str, columns: list[tuple[str, int, str | None]]) -> Any:
    sheet = book.create_sheet(title)
    for index, (name, width, _fmt) in enumerate(columns, start=1):
        fitted = max(width, _display_width(name) + 2)
        sheet.column_dimensions[get_column_letter(index)].width = fitted
    sheet.freeze_panes = "B2" if columns[0][0] == "ID" else "A2"
    header = []
    for name, _width, _fmt in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    sheet.append(header)
    return sheet


def _append(sheet: Any, columns: list[tuple[str, int, str | None]], values: list[Any]) -> None:
    sheet.append([_value(sheet, v, fmt) for v, (_n, _w, fmt) in zip(values, columns, strict=True)])


def _joined(values: list[str] | None) -> str | None:
    # No value leaves the cell empty: an empty string would still be written as a cell.
    return ", ".join(values) if values else None


def _local(moment: datetime | None, tz: Any) -> datetime | None:
    # Excel has no time zones: instants are shown in business time.
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def _filter(sheet: Any, columns: int, rows: int) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"


SHEET_COLUMNS = (
    Customer.id,
    Customer.company,
    Customer.contact,
    Customer.country,
    Customer.city,
    Customer.region,
    Customer.nature,
    Customer.strength,
    Customer.source,
    Customer.grade,
    Customer.owner_id,
    Customer.acquired_at,
    Customer.last_contact_at,
    Customer.due_on,
    Customer.awaiting_since,
    Customer.notes,
)


def _customer_chunks(session: Session, owner: User | None) -> Iterator[list[Any]]:
    # Keyset pages of plain rows: memory stays flat and no ORM objects are built.
    last = 0
    while True:
        statement = (
            select(*SHEET_COLUMNS).where(Customer.id > last).order_by(Customer.id).limit(CHUNK)  # type: ignore[arg-type,operator]
        )
        chunk = session.exec(_owned(statement, owner)).all()
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def _customers_sheet(
    book: Workbook, session: Session, *, tz: Any, owner: User | None, step: Callable[[int], None]
) -> int:
    from laop.services.normalize import country_name

    sheet = _sheet(book, "客户信息 Customers", CUSTOMER_COLUMNS)
    owners = {u.id: u.name for u in session.exec(select(User))}
    name_of = functools.cache(country_name)
    written = 0
    for chunk in _customer_chunks(session, owner):
        ids = [c.id for c in chunk]
        emails: dict[int, list[str]] = {}
        phones: dict[int, list[str]] = {}
        whatsapp: dict[int, list[str]] = {}
        for cid, kind, value, is_whatsapp in session.exec(
            select(
                CustomerContact.customer_id,
                CustomerContact.kind,
                CustomerContact.value,
                CustomerContact.whatsapp,
            )
            .where(CustomerContact.customer_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(CustomerContact.customer_id, CustomerContact.position)
        ):
            (emails if kind == "email" else phones).setdefault(cid, []).append(value)
            if is_whatsapp:
                whatsapp.setdefault(cid, []).append(value)
        products: dict[int, list[str]] = {}
        for cid, product in session.exec(
            select(CustomerProduct.customer_id, CustomerProduct.product)
            .where(CustomerProduct.customer_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(CustomerProduct.customer_id, CustomerProduct.position)
        ):
            products.setdefault(cid, []).append(product)
        first_contact = dict(
            session.exec(
                select(Message.customer_id, func.min(Message.at))
                .where(Message.customer_id.in_(ids))  # type: ignore[attr-defined]
                .group_by(Message.customer_id)
            ).all()
        )
        orders = dict(
            session.exec(
                select(Order.customer_id, func.count())
                .where(Order.customer_id.in_(ids), Order.status != "cancelled")  # type: ignore[attr-defined]
                .group_by(Order.customer_id)
            ).all()
        )
        for c in chunk:
            first = first_contact.get(c.id)
            _append(
                sheet,
                CUSTOMER_COLUMNS,
                [
                    c.id,
                    c.company,
                    c.contact,
                    _joined(emails.get(c.id)),  # type: ignore[arg-type]
                    _joined(phones.get(c.id)),  # type: ignore[arg-type]
                    _joined(whatsapp.get(c.id)),  # type: ignore[arg-type]
                    c.country,
                    name_of(c.country) if c.country else None,
                    c.city,
                    c.region,
                    c.nature,
                    c.strength,
                    c.source,
                    _joined(products.get(c.id)),  # type: ignore[arg-type]
                    c.grade,
                    owners.get(c.owner_id),
                    _local(c.acquired_at, tz),
                    _local(first, tz),
                    _local(c.last_contact_at, tz),
                    c.due_on,
                    _local(c.awaiting_since, tz),
                    orders.get(c.id, 0),
                    c.notes,  # type: ignore[arg-type]
                ],
            )
        written += len(chunk)
        step(len(chunk))
    _filter(sheet, len(CUSTOMER_COLUMNS), written)
    return written


def _messages_sheet(
    book: Workbook, session: Session, *, tz: Any, year: int, month: int, owner: User | None
) -> int:
    sheet = _sheet(book, "跟进记录 Follow-ups", MESSAGE_COLUMNS)
    start, end = month_bounds(year, month, tz)
    users = {u.id: u.name for u in session.exec(select(User))}
    # Plain rows streamed in pages: a month of a big team is hundreds of thousands of
    # messages, and an ORM object each would cost more than writing its cells.
    statement = (
        select(
            Message.at,
            Message.customer_id,
            Customer.company,
            Customer.contact,
            Message.direction,
            Message.channel,
            Message.kind,
            Message.auto,
            Message.user_id,
            Message.note,
        )
        .join(Customer, Customer.id == Message.customer_id)
        .where(Message.at >= start, Message.at < end)
        .order_by(Message.at, Message.id)  # type: ignore[arg-type]
        .execution_options(yield_per=CHUNK)
    )
    written = 0
    rows = session.connection().execute(_owned(statement, owner))
    for at, customer_id, company, contact, direction, channel, kind, auto, user_id, note in rows:
        _append(
            sheet,
            MESSAGE_COLUMNS,
            [
                _local(at, tz),
                customer_id,
                company or contact,
                "来信 in" if direction == "in" else "去信 out",
                channel,
                kind,
                "是 yes" if auto else None,
                users.get(user_id),
                note,
            ],
        )
        written += 1
    _filter(sheet, len(MESSAGE_COLUMNS), written)
    return written


def _bar_chart(title: str) -> BarChart:
    chart = BarChart()
    chart.title = title
    # openpyxl hides axes unless told otherwise; spreadsheets then show bare bars.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.tickLblPos = "nextTo"
    chart.y_axis.number_format = "General"
    chart.width, chart.height = 18, 8
    return chart


def _kpi_sheet(book: Workbook, kpis: dict[str, Any]) -> None:
    columns = [(name, width, fmt) for name, _key, width, fmt in KPI_COLUMNS]
    sheet = _sheet(book, "KPI", columns)
    rows = [*kpis["users"], {"user": "团队 team", **kpis["team"]}]
    for row in rows:
        _append(sheet, columns, [row[key] for _name, key, _w, _f in KPI_COLUMNS])
    _filter(sheet, len(columns), len(rows))
    if not kpis["users"]:
        return
    last = len(kpis["users"]) + 1  # the users' rows, without the team row
    published = _bar_chart("发品 vs 目标 / Products published vs target")
    published.y_axis.title = "Products"
    published.add_data(
        Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=last), titles_from_data=True
    )
    published.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=last))
    sheet.add_chart(published, f"A{len(rows) + 4}")
    timely = _bar_chart("及时回复率 / Timely reply rate")
    timely.add_data(
        Reference(sheet, min_col=7, max_col=8, min_row=1, max_row=last), titles_from_data=True
    )
    timely.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=last))
    timely.y_axis.number_format = "0%"
    sheet.add_chart(timely, f"H{len(rows) + 4}")


def _a_list_sheet(book: Workbook, report: dict[str, Any], tz: Any) -> None:
    sheet = _sheet(book, "A级客户 A-list", A_LIST_COLUMNS)
    for row in report["customers"]:
        counts = row["contacts_in_month"]
        inquiries = "; ".join(
            f"#{q['id']} {q['product'] or '?'} {q['quantity'] or ''} ({q['status']})".replace(
                "  ", " "
            )
            for q in row["open_inquiries"]
        )
        _append(
            sheet,
            A_LIST_COLUMNS,
            [
                row["customer_id"],
                row["company"] or row["contact"],
                row["country"],
                row["owner"],
                counts.get("out", 0),
                counts.get("in", 0),
                datetime.fromisoformat(row["last_contact_at"]).replace(tzinfo=None)
                if row["last_contact_at"]
                else None,
                date.fromisoformat(row["due_on"]) if row["due_on"] else None,
                "是 yes" if row["awaiting_reply"] else None,
                inquiries,
            ],
        )
    _filter(sheet, len(A_LIST_COLUMNS), len(report["customers"]))


def _statistics_sheet(
    book: Workbook, session: Session, *, year: int, month: int, owner: User | None
) -> None:
    sheet = book.create_sheet("统计 Statistics")
    for letter, width in zip("ABCDE", (30, 12, 10, 4, 4), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    row = 1
    blocks: dict[str, tuple[int, int]] = {}
    for dimension in DIMENSIONS:
        rows = counts_by(session, dimension, owner=owner)
        title = DIMENSION_TITLES[dimension]
        heading = [WriteOnlyCell(sheet, value=v) for v in (title, "数量 / Count", "占比 / Share")]
        for cell in heading:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.append(heading)
        first = row + 1
        for entry in rows:
            share = WriteOnlyCell(sheet, value=entry["share"])
            share.number_format = PERCENT
            sheet.append([_value(sheet, str(entry["label"]), None), entry["count"], share])
        row = first + len(rows)
        blocks[dimension] = (first, row - 1)
        sheet.append([])
        row += 1
    weekly = weekly_counts(session, year=year, month=month, owner=owner)
    heading = [
        WriteOnlyCell(sheet, value=v)
        for v in ("周 / Week", "新客户 / New customers", "订单 / Orders")
    ]
    for cell in heading:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    sheet.append(heading)
    week_first = row + 1
    for entry in weekly:
        sheet.append(
            [f"{entry['week']} ({entry['starts']})", entry["new_customers"], entry["orders"]]
        )
    week_last = week_first + len(weekly) - 1
    anchor_row = 2
    for dimension, kind in (("country", "bar"), ("region", "bar"), ("source", "pie")):
        first, last = blocks[dimension]
        if last < first:
            continue
        last = min(last, first + 14)  # the top 15 keep a chart readable
        chart: Any = _bar_chart(DIMENSION_TITLES[dimension]) if kind == "bar" else PieChart()
        chart.title = DIMENSION_TITLES[dimension]
        chart.add_data(Reference(sheet, min_col=2, min_row=first, max_row=last))
        chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
        chart.legend = None if kind == "bar" else chart.legend
        chart.width, chart.height = 16, 8
        sheet.add_chart(chart, f"F{anchor_row}")
        anchor_row += 17
    if weekly:
        trend = _bar_chart("新客户与订单(按周) / New customers and orders by week")
        trend.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=week_first - 1, max_row=week_last),
            titles_from_data=True,
        )
        trend.set_categories(Reference(sheet, min_col=1, min_row=week_first, max_row=week_last))
        trend.width, trend.height = 16, 8
        sheet.add_chart(trend, f"F{anchor_row}")
