"""`laop activity`, `laop target`, `laop quota`: proactive marketing and its numbers."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import LaopGroup, actor, new_typer, store
from laop.output import emit_json, success, warn

activity_app = new_typer(
    "Count daily work: products published, RFQ quotes, visitor marketing, hours online."
)
target_app = new_typer("Set monthly targets (products to publish).")
quota_app = typer.Typer(
    cls=LaopGroup,
    help="RFQ quota, visitor marketing left today, publishing against target.",
    add_completion=False,
    rich_markup_mode=None,
    invoke_without_command=True,
)


@activity_app.command("add")
def activity_add(
    kind: Annotated[
        str, typer.Argument(metavar="publish|rfq|visitor|online", help="What was done.")
    ],
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="How many (hours for online).")],
    on: Annotated[
        str | None,
        typer.Option("--on", help="The day (default: today; the platform's day for visitor)."),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Whose work (default: you).")] = None,
    as_json: opt.Json = False,
) -> None:
    """Add to a day's count.

    Example: laop activity add visitor 20 --by lily
    """
    from laop.services.activity import add_activity
    from laop.services.clock import parse_date
    from laop.services.users import get_user

    with store() as session:
        who = get_user(session, by) if by else actor(session)
        row, warning = add_activity(
            session, user=who, kind=kind, amount=amount, day=parse_date(on) if on else None
        )
        view = {
            "id": row.id,
            "user": who.name,
            "kind": row.kind,
            "day": row.day.isoformat(),
            "amount": float(row.amount),
        }
    if warning:
        warn(warning)
    if as_json:
        emit_json(view)
    else:
        success(f"{view['user']}: {view['amount']:g} {view['kind']} on {view['day']}.")


@target_app.command("set")
def target_set(
    kind: Annotated[str, typer.Argument(metavar="publish", help="The target.")],
    value: Annotated[int, typer.Argument(metavar="COUNT", help="The month's total for the team.")],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM.")],
) -> None:
    """Set the month's publishing target; it is split over salespeople and working days.

    Example: laop target set publish --month 2026-12 300
    """
    from laop.errors import InvalidInput
    from laop.services.activity import set_target

    if kind.strip().lower() != "publish":
        raise InvalidInput(
            f"Unknown target {kind!r}; use publish (the RFQ bonus is `laop quota set rfq-bonus`)."
        )
    with store() as session:
        row = set_target(session, kind="publish", month=month, value=value)
    success(f"Publishing target for {row.month}: {row.value}.")


@quota_app.callback()
def quota(
    ctx: typer.Context,
    on: Annotated[
        str | None, typer.Option("--date", help="As of this day (default: today).")
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Show RFQ quotes used and left, visitor marketing left today, publishing progress.

    Example: laop quota --json
    """
    from laop.render import render_quota

    if ctx.invoked_subcommand is not None:
        return
    from laop.services.activity import quota_status
    from laop.services.clock import parse_date

    with store(write=False) as session:
        status = quota_status(session, on=parse_date(on) if on else None)
    emit_json(status) if as_json else render_quota(status)


@quota_app.command("set")
def quota_set(
    kind: Annotated[str, typer.Argument(metavar="rfq-bonus", help="The quota.")],
    value: Annotated[int, typer.Argument(metavar="N", help="Bonus quotes on top of rfq.base.")],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM.")],
) -> None:
    """Set a month's RFQ bonus quota (on top of the base, setting rfq.base).

    Example: laop quota set rfq-bonus --month 2026-12 10
    """
    from laop.errors import InvalidInput
    from laop.services.activity import rfq_quota, set_target

    if kind.strip().lower() != "rfq-bonus":
        raise InvalidInput(f"Unknown quota {kind!r}; use rfq-bonus.")
    with store() as session:
        row = set_target(session, kind="rfq-bonus", month=month, value=value)
        year, number = (int(p) for p in row.month.split("-"))
        total = rfq_quota(session, year, number)
    success(f"RFQ bonus for {row.month}: {row.value} (quota {total}).")
