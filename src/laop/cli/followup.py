"""Top-level follow-up commands: `laop log`, `laop grade`, `laop due`."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import actor, store, visible_owner
from laop.enums import Channel, Direction, Grade, MessageKind
from laop.output import emit_json, success


def log(
    customer: Annotated[str, typer.Argument(help="Id, e-mail or exact name.")],
    direction: Annotated[
        Direction, typer.Option("--direction", help="in (from the buyer) or out (ours).")
    ],
    channel: Annotated[Channel, typer.Option("--channel", help="How.")],
    kind: Annotated[
        MessageKind | None, typer.Option("--kind", help="What it was (default: other).")
    ] = None,
    auto: Annotated[
        bool, typer.Option("--auto", help="An automatic message (never counts as a reply).")
    ] = False,
    at: Annotated[
        str | None, typer.Option("--at", help="When (ISO 8601; business time zone). Default: now.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="What was said.")] = None,
    as_json: opt.Json = False,
) -> None:
    """Record one message to or from a buyer.

    Example: laop log hans@acme.de --direction out --channel email --kind quote --note "PI sent"
    """
    from laop.services.clock import business_tz, parse_when
    from laop.services.customers import customer_views, get_customer
    from laop.services.messages import log_message, message_view

    with store() as session:
        target = get_customer(session, customer)
        me = actor(session)
        tz = business_tz(session)
        message = log_message(
            session,
            target,
            direction=direction,
            channel=channel,
            kind=kind,
            auto=auto,
            at=parse_when(at, tz),
            note=note,
            actor=me,
        )
        view = message_view(message, tz=tz, users={me.id: me.name})
        state = customer_views(session, [target])[0]
    if as_json:
        emit_json(view)
        return
    if state["awaiting_since"]:
        after = "awaiting our reply"
    else:
        after = f"next follow-up {state['due_on']}" if state["due_on"] else "no follow-up scheduled"
    success(
        f"Logged {view['direction']} {view['channel']} for "
        f"{state['company'] or state['contact']}; {after}."
    )


def grade(
    customer: Annotated[str, typer.Argument(help="Id, e-mail or exact name.")],
    new_grade: Annotated[Grade, typer.Argument(metavar="A|B|C|D", help="The grade.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (kept in the history).")
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Grade a buyer A–D; the change is kept in its history and re-schedules follow-up.

    Example: laop grade hans@acme.de A --reason "asked for a PI"
    """
    from laop.services.cadence import set_grade
    from laop.services.customers import customer_views, get_customer

    with store() as session:
        target = get_customer(session, customer)
        before = target.grade
        set_grade(session, target, grade=new_grade, actor=actor(session), reason=reason)
        view = customer_views(session, [target])[0]
    if as_json:
        emit_json(
            {
                "customer_id": view["id"],
                "from": before,
                "grade": view["grade"],
                "due_on": view["due_on"],
            }
        )
    elif before == view["grade"]:
        success(f"{view['company'] or view['contact']} is already grade {before}.")
    else:
        success(
            f"{view['company'] or view['contact']}: {before or '–'} → {view['grade']}; "
            f"next follow-up {view['due_on']}."
        )


def due(
    when: Annotated[
        str, typer.Argument(metavar="[today|tomorrow|week|overdue|YYYY-MM-DD]", help="As of when.")
    ] = "today",
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    grade: Annotated[Grade | None, typer.Option("--grade", help="Only this grade.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many rows per section on screen (0: all).")
    ] = 40,
    as_json: opt.Json = False,
) -> None:
    """Who to contact: buyers awaiting our reply first, then due follow-ups by urgency.

    Example: laop due today --owner lily
    """
    from laop.listing import render_due
    from laop.services.due import due_list, resolve_when

    with store(write=False, collect=False) as session:
        query = resolve_when(session, when)
        found = due_list(
            session,
            query,
            owner=visible_owner(session, owner=owner, everyone=everyone),
            grade=grade,
            limit=None if as_json else (limit or None),
        )
    emit_json(found.rows) if as_json else render_due(found, as_of=query.as_of.isoformat())
