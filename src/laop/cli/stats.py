"""`laop stats`: who the buyers are — by region, country, nature, source, product …"""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import store, visible_owner
from laop.output import emit_json


def stats(
    by: Annotated[
        str,
        typer.Option("--by", help="region, country, nature, source, product, strength or grade."),
    ] = "country",
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    as_json: opt.Json = False,
) -> None:
    """Count buyers by one field, with bars (the workbook's Statistics sheet).

    Example: laop stats --by region --all
    """
    from laop.render import render_stats
    from laop.services.stats import counts_by

    with store(write=False) as session:
        rows = counts_by(
            session,
            by.strip().lower(),
            owner=visible_owner(session, owner=owner, everyone=everyone),
        )
    emit_json(rows) if as_json else render_stats(rows, by=by)
