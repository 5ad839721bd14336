"""The `laop` command line: one Typer app per noun, joined here.

Nothing here imports the database stack at module level, so that `laop --help` and
shell completion start fast; commands import what they need.
"""

from typing import Annotated

import typer

from laop import __version__
from laop.cli._common import LaopGroup, state
from laop.cli.activity import activity_app, quota_app, target_app
from laop.cli.config import config_app
from laop.cli.customers import customer_app
from laop.cli.demo import demo
from laop.cli.digest import digest
from laop.cli.followup import due, grade, log
from laop.cli.inquiries import inquiry_app
from laop.cli.kpi import kpi
from laop.cli.maintenance import db_app
from laop.cli.orders import order_app
from laop.cli.replies import replies
from laop.cli.reports import report_app
from laop.cli.stats import stats
from laop.cli.users import user_app
from laop.output import emit_json, success

app = typer.Typer(
    cls=LaopGroup,
    help="laop — the Alibaba.com International Station sales playbook in your terminal "
    "(阿里巴巴国际站客户管理).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(user_app, name="user")
app.add_typer(customer_app, name="customer")
app.add_typer(inquiry_app, name="inquiry")
app.add_typer(config_app, name="config")
app.command("log")(log)
app.command("grade")(grade)
app.command("due")(due)
app.command("replies")(replies)
app.add_typer(report_app, name="report")
app.add_typer(order_app, name="order")
app.add_typer(activity_app, name="activity")
app.add_typer(target_app, name="target")
app.add_typer(quota_app, name="quota")
app.command("kpi")(kpi)
app.command("digest")(digest)
app.command("stats")(stats)
app.command("demo")(demo)
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"laop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="LAOP_DB",
            metavar="PATH|URL",
            help="SQLite file or database URL (default: a file in your user data folder).",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--as", envvar="LAOP_USER", metavar="USER", help="Act as this user."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Run the playbook: log inquiries, grade buyers, follow up on time, report KPIs."""
    state.db = db
    state.user = user


@app.command("init")
def init(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create the database or upgrade its schema (safe to run again).

    Example: laop --db team.db init
    """
    from laop.db import database_url, make_engine, upgrade

    url = database_url(state.db)
    before, after = upgrade(make_engine(url))
    shown = url.split("@")[-1] if "@" in url else url.removeprefix("sqlite:///")
    if as_json:
        emit_json({"database": shown, "from_revision": before, "revision": after})
    elif before == after:
        success(f"Database {shown} is up to date (schema {after}).")
    else:
        success(f"Database {shown} is at schema {after} (was {before or 'empty'}).")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="laop")
