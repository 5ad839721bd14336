"""The `laop` command line: one Typer app per noun, joined here.

Nothing here imports the database stack at module level, so that `laop --help` and
shell completion start fast; commands import what they need.
"""

import gc
from typing import Annotated

import typer

from laop import __version__
from laop.cli._common import LazyGroup, state
from laop.output import emit_json, success

# The commands, in the order `laop --help` lists them: (module, attribute, help).
LazyGroup.LAZY = {
    "inquiry": (
        "laop.cli.inquiries",
        "inquiry_app",
        "Record inquiries 询盘 and see which await a reply.",
    ),
    "customer": (
        "laop.cli.customers",
        "customer_app",
        "Add, find, show, edit and merge buyers 客户.",
    ),
    "log": ("laop.cli.followup", "log", "Record one message to or from a buyer."),
    "grade": (
        "laop.cli.followup",
        "grade",
        "Grade a buyer A–D; the change is kept in its history and re-schedules follow-up.",
    ),
    "due": (
        "laop.cli.followup",
        "due",
        "Who to contact: buyers awaiting our reply first, then due follow-ups by urgency.",
    ),
    "replies": (
        "laop.cli.replies",
        "replies",
        "Timely reply rate, same-day rate and average reply time, per user and for the team.",
    ),
    "order": (
        "laop.cli.orders",
        "order_app",
        "Record orders (样品单 samples and regular orders) and move them along.",
    ),
    "activity": (
        "laop.cli.activity",
        "activity_app",
        "Count daily work: products published, RFQ quotes, visitor marketing, hours online.",
    ),
    "target": ("laop.cli.activity", "target_app", "Set monthly targets (products to publish)."),
    "quota": (
        "laop.cli.activity",
        "quota_app",
        "RFQ quota, visitor marketing left today, publishing against target.",
    ),
    "kpi": (
        "laop.cli.kpi",
        "kpi",
        "Monthly KPIs (业务考核): publishing, RFQ, visitor marketing, reply speed, conversion …",
    ),
    "report": (
        "laop.cli.reports",
        "report_app",
        "Monthly reports for the manager: A-grade list, cadence compliance.",
    ),
    "stats": (
        "laop.cli.stats",
        "stats",
        "Count buyers by one field, with bars (the workbook's Statistics sheet).",
    ),
    "digest": (
        "laop.cli.digest",
        "digest",
        "What needs doing today: replies owed, follow-ups, new buyers, orders, quotas.",
    ),
    "import": (
        "laop.cli.imports",
        "import_sheet",
        "Import buyers from a customer sheet (客户信息表), without creating duplicates.",
    ),
    "user": (
        "laop.cli.users",
        "user_app",
        "Add and list users (salespeople 业务员 and managers 运营).",
    ),
    "config": (
        "laop.cli.config",
        "config_app",
        "Read and change team settings (time zone, cadence, SLA, quotas, SMTP).",
    ),
    "db": ("laop.cli.maintenance", "db_app", "Back up and check the database."),
    "demo": (
        "laop.cli.demo",
        "demo",
        "Build a demo database (a supplier team, 40 buyers, six months) and tour it.",
    ),
}

app = typer.Typer(
    cls=LazyGroup,
    help="laop — the Alibaba.com International Station sales playbook in your terminal "
    "(阿里巴巴国际站客户管理).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    state.one_shot = True
    # Start-up (Typer, SQLAlchemy, pydantic, the table classes) only builds what the
    # command keeps: collecting garbage during it finds none. The store turns
    # collection back on once it is open (cli._common.engine).
    gc.disable()
    try:
        app(prog_name="laop")
    finally:
        # Shutting the interpreter down runs the garbage collector over every object
        # the imports made (SQLAlchemy, pydantic, Rich …), ~0.2 s of a command that
        # has already answered. Frozen objects are skipped by those passes; output is
        # still flushed, connections closed and exit handlers run as usual.
        gc.freeze()
