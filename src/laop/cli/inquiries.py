"""`laop inquiry`: inquiries 询盘 as they arrive."""

from typing import Annotated

import typer
from rich.markup import escape

from laop.cli import _options as opt
from laop.cli._common import actor, new_typer, store
from laop.cli.customers import _input
from laop.enums import Channel
from laop.output import console, emit_json, interactive, success

inquiry_app = new_typer("Record inquiries 询盘 and see which await a reply.")


@inquiry_app.command("add")
def inquiry_add(
    channel: Annotated[Channel, typer.Option("--channel", help="Where it came in.")],
    company: opt.Company = None,
    contact: opt.Contact = None,
    email: opt.Emails = None,
    phone: opt.Phones = None,
    whatsapp: opt.WhatsApp = None,
    country: opt.Country = None,
    city: opt.City = None,
    nature: opt.Nature = None,
    source: opt.Source = None,
    strength: opt.Strength = None,
    product: Annotated[str | None, typer.Option("--product", help="Product asked about.")] = None,
    quantity: Annotated[str | None, typer.Option("--quantity", help="Quantity asked for.")] = None,
    message: Annotated[str | None, typer.Option("--message", help="The buyer's message.")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When it arrived (ISO 8601; business time zone).")
    ] = None,
    owner: opt.Owner = None,
    note: opt.Note = None,
    customer: Annotated[
        int | None, typer.Option("--customer", help="Attach to this buyer id.")
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Create a new buyer without matching.")
    ] = False,
    as_json: opt.Json = False,
) -> None:
    """Record an inquiry: the buyer is looked up first, created only when not found.

    Example: laop inquiry add --channel inquiry --company "Acme GmbH" --email hans@acme.de
    --country DE --product "LED panel" --quantity "500 pcs"
    """
    from laop.errors import AmbiguousError
    from laop.render import render_customer
    from laop.services.clock import business_tz, parse_when
    from laop.services.customers import customer_views
    from laop.services.history import customer_detail
    from laop.services.intake import add_inquiry
    from laop.services.users import get_user

    data = _input(locals(), products=None).cleaned()
    with store() as session:
        me = actor(session)
        when = parse_when(at, business_tz(session))
        who = get_user(session, owner) if owner else None

        def record(customer_id: int | None, force_new: bool):  # type: ignore[no-untyped-def]
            return add_inquiry(
                session,
                data=data,
                channel=channel,
                actor=me,
                at=when,
                owner=who,
                product=product,
                quantity=quantity,
                text=message,
                customer_id=customer_id,
                force_new=force_new,
            )

        try:
            result = record(customer, new)
        except AmbiguousError as exc:
            if as_json or not interactive():
                raise
            customer_id, force_new = _choose(session, exc)
            result = record(customer_id, force_new)
        payload = {
            "customer_id": result.customer.id,
            "inquiry_id": result.inquiry.id if result.inquiry else None,
            "matched": result.matched,
        }
        detail = customer_detail(session, result.customer, messages=5) if result.matched else None
        name = customer_views(session, [result.customer])[0]
    if as_json:
        emit_json(payload)
        return
    label = escape(name["company"] or name["contact"] or "")
    if detail is not None:
        console.print(
            f"[ok]Matched existing buyer[/ok] — inquiry {payload['inquiry_id']} added to:"
        )
        render_customer(detail)
    else:
        console.print(
            f"[ok]New buyer[/ok] {payload['customer_id']} {label} — inquiry {payload['inquiry_id']}"
            " recorded. Grade it next: laop grade "
            f"{payload['customer_id']} A|B|C|D"
        )


def _choose(session, exc):  # type: ignore[no-untyped-def]
    """Let a person pick among ambiguous candidates; returns (customer id, force new)."""
    from laop.render import render_candidates
    from laop.services.customers import customer_views

    views = customer_views(session, [c.customer for c in exc.candidates])
    render_candidates(
        [
            {"score": c.score, "reasons": c.reasons, "customer": v}
            for c, v in zip(exc.candidates, views, strict=True)
        ]
    )
    choices = [str(i) for i in range(1, len(views) + 1)] + ["n"]
    answer = typer.prompt(
        f"Attach to which buyer? (1–{len(views)}, n = new buyer)", type=typer.Choice(choices)
    )
    if answer == "n":
        return None, True
    return views[int(answer) - 1]["id"], False


@inquiry_app.command("list")
def inquiry_list(
    awaiting: Annotated[
        bool, typer.Option("--awaiting", help="Reply clocks still open, any channel.")
    ] = False,
    breached: Annotated[
        bool, typer.Option("--breached", help="Only open clocks past their SLA deadline.")
    ] = False,
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    as_json: opt.Json = False,
) -> None:
    """List open inquiries, or with --awaiting the buyers waiting for our reply and their SLA.

    Example: laop inquiry list --awaiting --all
    """
    from laop.cli._common import visible_owner
    from laop.render import render_inquiries, render_open_clocks
    from laop.services.inquiries import list_open_inquiries
    from laop.services.reply_report import open_clocks

    with store(write=False) as session:
        who = visible_owner(session, owner=owner, everyone=everyone)
        if awaiting or breached:
            rows = open_clocks(session, owner=who, breached_only=breached)
        else:
            rows = list_open_inquiries(session, owner=who)
    if as_json:
        emit_json(rows)
    elif awaiting or breached:
        render_open_clocks(rows)
    else:
        render_inquiries(rows)


@inquiry_app.command("spam")
def inquiry_spam(
    inquiry_id: Annotated[int, typer.Argument(metavar="ID", help="The inquiry id.")],
    as_json: opt.Json = False,
) -> None:
    """Mark an inquiry spam or invalid; its reply clock counts as handled now.

    Example: laop inquiry spam 42
    """
    from laop.services.inquiries import mark_spam

    with store() as session:
        inquiry = mark_spam(session, inquiry_id)
        payload = {"inquiry_id": inquiry.id, "customer_id": inquiry.customer_id, "status": "spam"}
    if as_json:
        emit_json(payload)
    else:
        success(f"Inquiry {inquiry_id} marked spam; its reply clock is closed.")
