"""`laop order`: sample and regular orders."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import actor, new_typer, store, visible_owner
from laop.output import emit_json, success

order_app = new_typer("Record orders (样品单 samples and regular orders) and move them along.")


@order_app.command("add")
def order_add(
    customer: Annotated[str, typer.Argument(help="Id, e-mail or exact name.")],
    kind: Annotated[str, typer.Option("--kind", help="sample or regular.")],
    amount: Annotated[str, typer.Option("--amount", help="Exact amount, e.g. 1250.50.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code: USD, EUR, CNY …")],
    status: Annotated[str, typer.Option("--status", help="Starting status.")] = "draft",
    etd: Annotated[str | None, typer.Option("--etd", help="Planned ship date YYYY-MM-DD.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Order date (ISO 8601).")] = None,
    note: opt.Note = None,
    as_json: opt.Json = False,
) -> None:
    """Record an order for a buyer.

    Example: laop order add hans@acme.de --kind sample --amount 85 --currency USD --etd 2026-12-05
    """
    from laop.services.clock import business_tz, parse_date, parse_when
    from laop.services.customers import get_customer
    from laop.services.orders import add_order, order_view

    with store() as session:
        target = get_customer(session, customer)
        tz = business_tz(session)
        order = add_order(
            session,
            target,
            kind=kind,
            amount=amount,
            currency=currency,
            actor=actor(session),
            status=status,
            etd=parse_date(etd) if etd else None,
            at=parse_when(at, tz),
            note=note,
        )
        view = order_view(order, tz=tz, company=target.company or target.contact)
    if as_json:
        emit_json(view)
    else:
        success(
            f"Order {view['id']}: {view['kind']} {view['amount']} {view['currency']} for "
            f"{view['company']} ({view['status']})."
        )


@order_app.command("list")
def order_list(
    open_only: Annotated[
        bool, typer.Option("--open", help="Only orders not yet delivered or cancelled.")
    ] = False,
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    as_json: opt.Json = False,
) -> None:
    """List orders, newest first.

    Example: laop order list --open --all
    """
    from laop.render import render_orders
    from laop.services.orders import list_orders

    with store(write=False) as session:
        rows = list_orders(
            session,
            owner=visible_owner(session, owner=owner, everyone=everyone),
            open_only=open_only,
        )
    emit_json(rows) if as_json else render_orders(rows)


@order_app.command("set-status")
def order_set_status(
    order_id: Annotated[int, typer.Argument(metavar="ID", help="The order id.")],
    status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS", help="confirmed, in-production, shipped, delivered or cancelled."
        ),
    ],
    tracking: Annotated[str | None, typer.Option("--tracking", help="Tracking number.")] = None,
    as_json: opt.Json = False,
) -> None:
    """Move an order one step on, or cancel it while it is open.

    The flow: draft → confirmed → in-production → shipped → delivered.

    Example: laop order set-status 7 shipped --tracking 1Z999AA10123456784
    """
    from laop.services.clock import business_tz
    from laop.services.orders import order_view, set_status

    with store() as session:
        order = set_status(session, order_id, status, actor=actor(session), tracking=tracking)
        view = order_view(order, tz=business_tz(session))
    if as_json:
        emit_json(view)
    else:
        success(f"Order {view['id']} is now {view['status']}.")
