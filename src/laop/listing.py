"""Long lists for people: the due list and the KPI tables, as aligned columns.

They are drawn as lines of text rather than Rich tables, which measure and wrap every
cell (a tenth of the time for a screenful). Where no colour would show (output piped
to a file, a pager or cron, or NO_COLOR) the same text is written directly and Rich
is not even loaded: `laop due` runs many times a day.
"""

import os
import sys
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size

__all__ = [
    "KPI_LABELS",
    "Col",
    "progress_cell",
    "rate_text",
    "render_due",
    "render_kpis",
    "render_listing",
    "short_time",
]

GAP = 2  # spaces between columns


def short_time(moment: str | None) -> str:
    """An ISO instant as "YYYY-MM-DD HH:MM"."""
    return moment[:16].replace("T", " ") if moment else ""


def rate_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def progress_cell(done: float, target: float) -> tuple[str, str]:
    """ "done/target", red while below the target."""
    return f"{done:g}/{target:g}", "overdue" if done < target else "ok"


def _plain() -> bool:
    # Rich would draw no colour: not a terminal (unless colour is forced), or NO_COLOR.
    if os.environ.get("NO_COLOR"):
        return True
    forced = os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1"
    return not forced and not sys.stdout.isatty()


def _width() -> int:
    if _plain():
        # What Rich assumes off a terminal: $COLUMNS, else 80.
        try:
            return int(os.environ.get("COLUMNS", "80"))
        except ValueError:
            return 80
    from laop.output import console

    return int(console.width)


def _say(text: str, style: str | None = None) -> None:
    """One line outside a listing (a note under it, a blank line)."""
    if _plain():
        sys.stdout.write(text + "\n")
        return
    from rich.text import Text

    from laop.output import console

    console.print(Text(text, style=style or ""))


def _more(shown: int, total: int) -> None:
    if total > shown:
        _say(f"… and {total - shown} more (--limit 0 shows all; --json for scripts)", "muted")


@dataclass(frozen=True)
class Col:
    """A column of a listing: its header, and how its cells may be cut to fit."""

    header: str
    max_width: int | None = None  # longer cells end in "…"
    min_width: int | None = None  # flexible: gives up width down to this on a narrow screen
    right: bool = False  # numbers line up on the right


Cell = str | tuple[str, str]  # text, or (text, style)


def render_listing(
    title: str, columns: list[Col], rows: list[list[Cell]], *, title_style: str | None = None
) -> None:
    """Rows in aligned columns under a bold header, one screen line per row.

    Long lists (the due list runs many times a day) are drawn as styled lines rather
    than a Rich Table, which measures and wraps every cell: a tenth of the time.
    Widths count East Asian characters as two cells; a cell too long for its column
    is cut with "…".
    """
    texts = [[c if isinstance(c, str) else c[0] for c in row] for row in rows]
    widths = []
    for index, column in enumerate(columns):
        width = max([cell_len(column.header), *(cell_len(row[index]) for row in texts)])
        widths.append(min(width, column.max_width) if column.max_width else width)
    # Too wide for the screen: the flexible columns give up width, rightmost first.
    screen = _width()
    excess = sum(widths) + GAP * (len(widths) - 1) - screen
    for index in reversed(range(len(columns))):
        least = columns[index].min_width
        if excess > 0 and least is not None:
            given = min(max(widths[index] - least, 0), excess)
            widths[index] -= given
            excess -= given
    total = sum(widths) + GAP * (len(widths) - 1)
    lines: list[list[tuple[str, str | None]]] = [[(title, title_style)]]
    lines.append(_line(columns, [c.header for c in columns], widths, "bold"))
    lines.append([("─" * total, "muted")])
    lines += [_line(columns, row, widths, None) for row in rows]
    if _plain():
        # Cut at the screen's edge, as Rich would.
        sys.stdout.write(
            "".join(
                set_cell_size("".join(t for t, _s in line), screen).rstrip() + "\n"
                for line in lines
            )
        )
        return
    from rich.text import Text

    from laop.output import console

    out = Text()
    for line in lines:
        for text, style in line:
            out.append(text, style=style)
        out.append("\n")
    console.print(out, end="", no_wrap=True, overflow="crop")


def _line(
    columns: list[Col], row: list[Cell], widths: list[int], style: str | None
) -> list[tuple[str, str | None]]:
    """A row as (text, style) pieces, every cell padded or cut to its column."""
    pieces: list[tuple[str, str | None]] = []
    last = len(row) - 1
    for index, cell in enumerate(row):
        text, cell_style = (cell, style) if isinstance(cell, str) else cell
        width = widths[index]
        size = cell_len(text)
        if size > width:
            text = set_cell_size(text, width - 1) + "…"
            size = width
        pad = " " * (width - size)
        gap = " " * GAP if index < last else ""
        if columns[index].right:
            pieces += [(pad, None), (text, cell_style), (gap, None)]
        else:
            pieces += [(text, cell_style), (pad + gap if index < last else "", None)]
    return pieces


def render_due(found: Any, *, as_of: str) -> None:
    """The morning list (a services.due.DueList): awaiting our reply, then follow-ups.

    Each section shows its most urgent rows first, so nothing urgent hides below a cut.
    """
    if not found.awaiting and not found.follow_up:
        _say(f"Nothing due as of {as_of}.", "ok")
        return
    rows = found.rows
    several_owners = len({r["owner"] for r in rows}) > 1
    waiting = [r for r in rows if r["awaiting_reply"]]
    follow = [r for r in rows if not r["awaiting_reply"]]
    owner = [Col("Owner")] if several_owners else []
    if waiting:
        lines = [
            [
                (str(r["customer_id"]), "id"),
                r["company"] or r["contact"] or "",
                _grade_cell(r["grade"]),
                *([r["owner"] or ""] if several_owners else []),
                short_time(r["awaiting_since"])[5:],
                r["suggested_channel"],
                r["open_inquiry_product"] or "",
            ]
            for r in waiting
        ]
        render_listing(
            f"Awaiting our reply 待回复 ({found.awaiting})",
            [
                Col("ID"),
                Col("Buyer 客户", max_width=40, min_width=14),
                Col("Grade"),
                *owner,
                Col("Since"),
                Col("Reply via"),
                Col("Product 产品", max_width=16, min_width=12),
            ],
            lines,
            title_style="awaiting",
        )
        _more(len(waiting), found.awaiting)
    if follow:
        if waiting:
            _say("")
        lines = []
        for r in follow:
            late = r["days_overdue"]
            if late > 0:
                due_cell: Cell = (f"{late}d late", "overdue")
            else:
                due_cell = "today" if late == 0 else f"in {-late}d"
            lines.append(
                [
                    (str(r["customer_id"]), "id"),
                    r["company"] or r["contact"] or "",
                    _grade_cell(r["grade"]) if r["grade"] else ("grade!", "grade.none"),
                    *([r["owner"] or ""] if several_owners else []),
                    due_cell,
                    (r["last_out_at"] or "")[5:10] or "–",
                    r["suggested_channel"],
                    r["open_inquiry_product"] or "",
                ]
            )
        render_listing(
            f"Follow up 待跟进 as of {as_of} ({found.follow_up})",
            [
                Col("ID"),
                Col("Buyer 客户", max_width=40, min_width=14),
                Col("Grade"),
                *owner,
                Col("Due"),
                Col("Last out"),
                Col("Via"),
                Col("Product 产品", max_width=16, min_width=12),
            ],
            lines,
        )
        _more(len(follow), found.follow_up)


def _grade_cell(grade: str | None) -> Cell:
    return (grade, f"grade.{grade}") if grade else ("–", "grade.none")


KPI_LABELS = (
    ("products_published", "Products published 发品"),
    ("rfq_quotes", "RFQ quotes 报价"),
    ("visitor_marketing", "Visitor marketing 访客营销"),
    ("timely_reply_rate", "Timely reply rate 及时回复率"),
    ("same_day_rate", "Same-day reply rate 当天回复率"),
    ("avg_reply_hours", "Average reply time 平均回复时长"),
    ("conversion_rate", "Conversion rate 商机转换率"),
    ("new_deal_customers", "New deal customers 新成交客户"),
    ("classification_rate", "Classification rate 归档分类"),
    ("cadence_compliance", "Cadence compliance 跟进达标率"),
    ("online_hours", "Online hours 在线时长"),
)


RATE_KEYS = {
    "timely_reply_rate",
    "same_day_rate",
    "conversion_rate",
    "classification_rate",
    "cadence_compliance",
}


def _kpi_cell(row: dict[str, Any], key: str) -> Cell:
    value = row[key]
    if key == "products_published" and row["publish_target"] is not None:
        return progress_cell(value, row["publish_target"])
    if key == "rfq_quotes" and row["rfq_quota"] is not None:
        return progress_cell(value, row["rfq_quota"])
    if key in RATE_KEYS:
        return rate_text(value)
    if key == "avg_reply_hours":
        return "–" if value is None else f"{value:.1f} h"
    return f"{value:g}"


def render_kpis(report: dict[str, Any]) -> None:
    """The monthly assessment: one row per KPI, one column per user, then the team.

    Results below their target are red (published vs the split target, RFQ vs quota).
    A team too large for one screen width is shown in several tables of as many users
    as fit, each with the KPI names and the team's column.
    """
    team = {"user": "team", **report["team"]}
    cells = {
        id(row): [_kpi_cell(row, key) for key, _label in KPI_LABELS]
        for row in [*report["users"], team]
    }

    def width(row: dict[str, Any]) -> int:
        texts = [c if isinstance(c, str) else c[0] for c in cells[id(row)]]
        return max(cell_len(row["user"] or "–"), *map(cell_len, texts)) + GAP

    fixed = max(cell_len(label) for _key, label in KPI_LABELS) + width(team)
    screen = _width()
    groups: list[list[dict[str, Any]]] = [[]]
    used = fixed
    for row in report["users"]:
        needed = width(row)
        if groups[-1] and used + needed > screen:
            groups.append([])
            used = fixed
        groups[-1].append(row)
        used += needed
    for number, group in enumerate(groups, start=1):
        part = f" ({number}/{len(groups)})" if len(groups) > 1 else ""
        shown = [*group, team]
        if number > 1:
            _say("")
        render_listing(
            f"KPI 业务考核 {report['month']}{part}",
            [Col("KPI"), *(Col(row["user"] or "–", right=True) for row in shown)],
            [
                [label, *(cells[id(row)][index] for row in shown)]
                for index, (_key, label) in enumerate(KPI_LABELS)
            ],
        )
