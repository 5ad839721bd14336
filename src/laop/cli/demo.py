"""`laop demo`: a ready-made team database to try laop on."""

from pathlib import Path
from typing import Annotated

import typer

from laop.cli._common import state, store
from laop.output import console, render_candidates, render_due


def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build it (default: a new temporary folder)."),
    ] = None,
) -> None:
    """Build a demo database (a supplier team, 40 buyers, six months) and tour it.

    Example: laop demo
    """
    import tempfile

    from laop.services.customers import CustomerInput, customer_views
    from laop.services.demo import load_demo
    from laop.services.due import due_list, resolve_when
    from laop.services.intake import find_candidates

    if db is None and state.db is None:
        folder = Path(tempfile.mkdtemp(prefix="laop-demo-"))
        state.db = str(folder / "laop.db")
    elif db is not None:
        state.db = db
    with store() as session:
        counts = load_demo(session)
    path = state.db
    console.print(
        f"[ok]Demo database ready[/ok]: {counts['users']} users, {counts['customers']} buyers, "
        f"{counts['inquiries']} inquiries, {counts['messages']} messages.\n"
        f"[muted]Explore it with: export LAOP_DB={path}[/muted]\n"
    )
    with store(write=False) as session:
        console.rule("laop due today --all   (who to contact today 今日待办)")
        render_due(due_list(session, resolve_when(session, "today"), owner=None), as_of="today")
        console.rule(
            'laop customer find "Mueller Lichttechnik"   (look a buyer up before creating it)'
        )
        candidates = find_candidates(
            session,
            CustomerInput(
                company="Mueller Lichttechnik", emails=["k.mueller@mueller-licht.de"]
            ).cleaned(),
        )
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
