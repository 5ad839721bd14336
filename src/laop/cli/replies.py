"""`laop replies`: reply speed (及时回复率, 平均回复时长) for a month."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import store, visible_owner
from laop.output import emit_json


def replies(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: this month).")
    ] = None,
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    as_json: opt.Json = False,
) -> None:
    """Timely reply rate, same-day rate and average reply time, per user and for the team.

    Example: laop replies --month 2026-10 --all
    """
    from laop.render import render_replies
    from laop.services.clock import business_tz, parse_month
    from laop.services.reply_report import reply_stats

    with store(write=False) as session:
        year, number = parse_month(month, business_tz(session))
        who = visible_owner(session, owner=owner, everyone=everyone)
        report = reply_stats(session, year=year, month=number, owner=who)
    emit_json(report) if as_json else render_replies(report)
