"""`laop customer`: buyers."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import actor, new_typer, split_values, store, visible_owner
from laop.output import emit_json, success

customer_app = new_typer("Add, find, show, edit and merge buyers 客户.")


# CustomerInput field ← the command's option parameter carrying it.
_FIELDS = {
    "company": "company",
    "contact": "contact",
    "emails": "email",
    "phones": "phone",
    "whatsapp": "whatsapp",
    "country": "country",
    "city": "city",
    "nature": "nature",
    "source": "source",
    "strength": "strength",
    "products": "product",
    "notes": "note",
}


def _input(options: dict, **overrides):  # type: ignore[no-untyped-def,type-arg]
    """A CustomerInput from a command's options (its locals()), with overrides."""
    from laop.services.customers import CustomerInput

    fields = {name: options.get(option) for name, option in _FIELDS.items()}
    fields.update(overrides)
    for name in ("emails", "phones", "whatsapp"):
        fields[name] = split_values(fields[name])
    fields["products"] = [p for p in fields["products"] or [] if p.strip()]
    return CustomerInput(**fields)


@customer_app.command("add")
def customer_add(
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
    product: opt.Products = None,
    owner: opt.Owner = None,
    note: opt.Note = None,
    new: Annotated[
        bool, typer.Option("--new", help="Create even if a similar buyer exists.")
    ] = False,
    as_json: opt.Json = False,
) -> None:
    """Add a buyer, after looking for it among the stored ones.

    Example: laop customer add --company "Acme GmbH" --email hans@acme.de --country DE
    """
    from laop.errors import ConflictError
    from laop.services.customers import customer_views
    from laop.services.intake import find_candidates
    from laop.services.users import get_user

    data = _input(locals()).cleaned()
    with store() as session:
        if not new:
            plausible = [c for c in find_candidates(session, data) if c.score >= 80]
            if plausible:
                best = plausible[0]
                raise ConflictError(
                    f"This buyer looks like customer {best.customer.id} "
                    f"({best.customer.company or best.customer.contact}, "
                    f"{'; '.join(best.reasons)}); "
                    "use `laop customer edit` to add to it, or pass --new."
                )
        from laop.services.customers import add_customer

        who = get_user(session, owner) if owner else actor(session)
        created = add_customer(session, data=data, owner=who)
        view = customer_views(session, [created])[0]
    if as_json:
        emit_json(view)
    else:
        success(f"Added customer {view['id']} {view['company'] or view['contact']}.")


@customer_app.command("show")
def customer_show(
    customer: Annotated[str, typer.Argument(help="Id, e-mail or exact name.")],
    messages: Annotated[int, typer.Option(help="How many recent contacts to show.")] = 10,
    as_json: opt.Json = False,
) -> None:
    """Show a buyer with its grade history, recent contacts and open inquiries.

    Example: laop customer show hans@acme.de
    """
    from laop.render import render_customer
    from laop.services.customers import get_customer
    from laop.services.history import customer_detail

    with store(write=False) as session:
        view = customer_detail(session, get_customer(session, customer), messages=messages)
    emit_json(view) if as_json else render_customer(view)


@customer_app.command("list")
def customer_list(
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    grade: Annotated[str | None, typer.Option(help="Only this grade (A–D).")] = None,
    ungraded: Annotated[
        bool, typer.Option("--ungraded", help="Only buyers not yet graded.")
    ] = False,
    country: Annotated[str | None, typer.Option(help="Only this country.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 100,
    as_json: opt.Json = False,
) -> None:
    """List buyers, newest first: your own, or --all (managers see all by default).

    Example: laop customer list --grade A --all
    """
    from laop.render import render_customers
    from laop.services.customers import customer_views, list_customers

    with store(write=False) as session:
        who = visible_owner(session, owner=owner, everyone=everyone)
        rows = list_customers(
            session, owner=who, grade=grade, ungraded=ungraded, country=country, limit=limit or None
        )
        views = customer_views(session, rows)
    emit_json(views) if as_json else render_customers(views)


@customer_app.command("edit")
def customer_edit(
    customer: Annotated[str, typer.Argument(help="Id, e-mail or exact name.")],
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
    product: opt.Products = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Reassign to this user.")] = None,
    note: opt.Note = None,
    remove_email: Annotated[
        list[str] | None, typer.Option("--remove-email", help="Remove an e-mail.")
    ] = None,
    remove_phone: Annotated[
        list[str] | None, typer.Option("--remove-phone", help="Remove a phone.")
    ] = None,
    remove_product: Annotated[
        list[str] | None, typer.Option("--remove-product", help="Remove a product.")
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Change a buyer's fields; e-mails, phones and products given are added.

    Example: laop customer edit 12 --phone "+49 30 1234567" --owner lily
    """
    from laop.services.customers import customer_views, edit_customer, get_customer
    from laop.services.users import get_user

    with store() as session:
        target = get_customer(session, customer)
        data = _input(locals(), country=country or target.country).cleaned()
        if country is None:
            data.country = None  # only the default region for phones; not a change
        edited = edit_customer(
            session,
            target,
            data=data,
            actor=actor(session),
            owner=get_user(session, owner) if owner else None,
            remove_emails=remove_email,
            remove_phones=remove_phone,
            remove_products=remove_product,
        )
        view = customer_views(session, [edited])[0]
    if as_json:
        emit_json(view)
    else:
        success(f"Updated customer {view['id']} {view['company'] or view['contact']}.")


@customer_app.command("find")
def customer_find(
    query: Annotated[str | None, typer.Argument(help="Name, e-mail or phone to look up.")] = None,
    company: opt.Company = None,
    contact: opt.Contact = None,
    email: opt.Emails = None,
    phone: opt.Phones = None,
    country: opt.Country = None,
    limit: Annotated[int, typer.Option(help="At most this many candidates.")] = 10,
    as_json: opt.Json = False,
) -> None:
    """Look a buyer up before creating it: ranked candidates with a score (0–100).

    Example: laop customer find "ACME Gmbh." --json
    """
    from laop.errors import InvalidInput
    from laop.render import render_candidates
    from laop.services.customers import customer_views
    from laop.services.intake import find_candidates

    emails, phones = list(email or []), list(phone or [])
    if query:
        text = query.strip()
        if "@" in text:
            emails.append(text)
        elif text.lstrip("+").replace(" ", "").replace("-", "").isdigit():
            phones.append(text)
        elif company is None:
            company, contact = text, contact or text
    data = _input(locals(), emails=emails, phones=phones).cleaned()
    if data.is_empty():
        raise InvalidInput("Give a name, e-mail or phone to look up.")
    with store(write=False) as session:
        candidates = find_candidates(session, data, limit=limit)
        views = customer_views(session, [c.customer for c in candidates])
    rows = [
        {"score": c.score, "reasons": c.reasons, "customer": v}
        for c, v in zip(candidates, views, strict=True)
    ]
    emit_json(rows) if as_json else render_candidates(rows)


@customer_app.command("merge")
def customer_merge(
    keep: Annotated[str, typer.Argument(help="The buyer that stays.")],
    drop: Annotated[str, typer.Argument(help="The duplicate whose records move to KEEP.")],
    as_json: opt.Json = False,
) -> None:
    """Merge a duplicate buyer into another: every message, inquiry and grade moves.

    Example: laop customer merge 12 31
    """
    from laop.services.customers import customer_views, get_customer, merge_customers

    with store() as session:
        kept = merge_customers(
            session,
            keep=get_customer(session, keep),
            drop=get_customer(session, drop),
            actor=actor(session),
        )
        view = customer_views(session, [kept])[0]
    if as_json:
        emit_json(view)
    else:
        success(f"Merged customer {drop} into {view['id']} {view['company'] or view['contact']}.")
