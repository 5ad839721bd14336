"""`laop kpi`: the monthly assessment per user and for the team."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import store
from laop.output import emit_json, render_kpis


def kpi(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: this month).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only this user's row (and the team).")
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Monthly KPIs (业务考核): publishing, RFQ, visitor marketing, reply speed, conversion …

    Example: laop kpi --month 2026-10 --json
    """
    from laop.services.clock import business_tz, parse_month
    from laop.services.kpi import monthly_kpis
    from laop.services.users import get_user

    with store(write=False) as session:
        year, number = parse_month(month, business_tz(session))
        report = monthly_kpis(
            session, year=year, month=number, owner=get_user(session, owner) if owner else None
        )
    emit_json(report) if as_json else render_kpis(report)
