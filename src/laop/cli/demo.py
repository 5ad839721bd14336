"""`laop demo`: a ready-made team database to try laop on."""

from pathlib import Path
from typing import Annotated

import typer

from laop.cli._common import state, store
from laop.output import console


def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build it (default: a new temporary folder)."),
    ] = None,
    customers: Annotated[
        int | None,
        typer.Option("--customers", help="Generate this many synthetic buyers instead."),
    ] = None,
    messages: Annotated[int, typer.Option("--messages", help="About this many messages.")] = 0,
    users: Annotated[int, typer.Option("--users", help="Salespeople to spread them over.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 7,
) -> None:
    """Build a demo database (a supplier team, 40 buyers, six months) and tour it.

    With --customers it generates a synthetic team at scale instead, for benchmarks.

    Example: laop demo --customers 100000 --messages 1000000 --users 20 --db big.db
    """
    import tempfile

    if db is None and state.db is None:
        folder = Path(tempfile.mkdtemp(prefix="laop-demo-"))
        state.db = str(folder / "laop.db")
    elif db is not None:
        state.db = db
    if customers is not None:
        _generate(customers=customers, messages=messages, users=users, seed=seed)
        return
    _tour()


def _generate(*, customers: int, messages: int, users: int, seed: int) -> None:
    from laop.output import progress_bar
    from laop.services.synthetic import generate

    with store() as session, progress_bar("Generating", total=customers * 2) as advance:
        counts = generate(
            session,
            customers=customers,
            messages=messages,
            users=users,
            seed=seed,
            progress=advance,
        )
    console.print(
        f"[ok]Synthetic database ready[/ok]: {counts['users']} users, "
        f"{counts['customers']} buyers, "
        f"{counts['inquiries']} inquiries, {counts['messages']} messages.\n"
        f"[muted]Use it with: export LAOP_DB={state.db}[/muted]"
    )


def _tour() -> None:
    from laop.listing import render_due
    from laop.render import render_candidates
    from laop.services.customers import CustomerInput, customer_views
    from laop.services.demo import load_demo
    from laop.services.due import due_list, resolve_when
    from laop.services.intake import find_candidates

    with store() as session:
        counts = load_demo(session)
    console.print(
        f"[ok]Demo database ready[/ok]: {counts['users']} users, {counts['customers']} buyers, "
        f"{counts['inquiries']} inquiries, {counts['messages']} messages, "
        f"{counts.get('orders', 0)} orders.\n"
        f"[muted]Explore it with: export LAOP_DB={state.db}[/muted]\n"
    )
    with store(write=False) as session:
        console.rule("laop due today --all   (who to contact today 今日待办)")
        render_due(
            due_list(session, resolve_when(session, "today"), owner=None, limit=40),
            as_of="today",
        )
        console.rule('laop customer find "Mueller Lichttechnik"   (look a buyer up first)')
        lookup = CustomerInput(company="Mueller Lichttechnik", emails=["einkauf@mueller-licht.de"])
        candidates = find_candidates(session, lookup.cleaned())
        views = customer_views(session, [c.customer for c in candidates])
        render_candidates(
            [
                {"score": c.score, "reasons": c.reasons, "customer": v}
                for c, v in zip(candidates, views, strict=True)
            ]
        )
    console.print(
        "\nNext: laop customer show ID · laop log ID --direction out --channel email · "
        "laop grade ID A · laop report a-list --all · laop --help",
        markup=False,
    )
