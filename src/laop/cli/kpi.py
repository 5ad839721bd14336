"""`laop kpi`: the monthly assessment per user and for the team, and its workbook."""

from pathlib import Path
from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import store
from laop.output import emit_json, progress_bar, success


def kpi(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: this month).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only this user's row (and the team).")
    ] = None,
    as_json: opt.Json = False,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write the customer statistics workbook 客户信息统计表."),
    ] = None,
) -> None:
    """Monthly KPIs (业务考核): publishing, RFQ, visitor marketing, reply speed, conversion …

    With --xlsx it also writes the month's workbook: customers, follow-ups, KPI,
    A-list and statistics sheets with charts.

    Example: laop kpi --month 2026-10 --xlsx 客户信息统计表-2026-10.xlsx
    """
    from laop.listing import render_kpis
    from laop.services.clock import business_tz, parse_month
    from laop.services.kpi import monthly_kpis
    from laop.services.users import get_user

    if xlsx is not None:
        _check_target(xlsx)
    # A workbook streams a whole team's rows: the collector keeps running for it.
    with store(write=False, collect=xlsx is not None) as session:
        year, number = parse_month(month, business_tz(session))
        who = get_user(session, owner) if owner else None
        if xlsx is None:
            report = monthly_kpis(session, year=year, month=number, owner=who)
        else:
            from laop.services.workbook import customer_count, write_workbook

            with progress_bar("Writing workbook", total=customer_count(session, who)) as advance:
                written = write_workbook(
                    session, xlsx, year=year, month=number, owner=who, progress=advance
                )
            report = written["kpi"]
            success(
                f"Wrote {written['path']}: {written['customers']:,} customers, "
                f"{written['follow_ups']:,} follow-ups in {written['month']}."
            )
    emit_json(report) if as_json else render_kpis(report)


def _check_target(path: Path) -> None:
    from laop.errors import InvalidInput

    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(f"The workbook name must end in .xlsx, got {path.name!r}.")
    if not path.expanduser().resolve().parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.")
