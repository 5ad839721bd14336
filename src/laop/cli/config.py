"""`laop config`: team settings stored in the database."""

from typing import Annotated

import typer

from laop.cli._common import new_typer, store
from laop.output import console, emit_json, success

config_app = new_typer("Read and change team settings (time zone, cadence, SLA, quotas, SMTP).")


@config_app.command("get")
def config_get(
    key: Annotated[str, typer.Argument(help="Setting name, e.g. cadence.A.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print one setting.

    Example: laop config get timezone
    """
    from laop.services.settings import get_setting

    with store(write=False) as session:
        value = get_setting(session, key)
    emit_json({"key": key, "value": value}) if as_json else console.print(value, markup=False)


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="Setting name, e.g. cadence.A.")],
    value: Annotated[str, typer.Argument(help="New value.")],
) -> None:
    """Change one setting for the whole team.

    Example: laop config set cadence.A 2
    """
    from laop.services.config import change_setting

    with store() as session:
        stored = change_setting(session, key, value)
    success(f"{key} = {stored}")


@config_app.command("list")
def config_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every setting and its value.

    Example: laop config list
    """
    from laop.render import render_settings
    from laop.services.settings import all_settings

    with store(write=False) as session:
        rows = all_settings(session)
    emit_json(rows) if as_json else render_settings(rows)
