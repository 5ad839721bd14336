"""`laop user`: the team."""

from typing import Annotated

import typer

from laop.cli._common import new_typer, store
from laop.enums import Role
from laop.output import emit_json, success

user_app = new_typer("Add and list users (salespeople 业务员 and managers 运营).")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login-style name, one word.")],
    role: Annotated[Role, typer.Option(help="sales or manager.")] = Role.SALES,
    subaccount: Annotated[str | None, typer.Option(help="Alibaba sub-account id 子账号.")] = None,
    email: Annotated[str | None, typer.Option(help="Where the daily digest goes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the user as JSON.")] = False,
) -> None:
    """Add a user.

    Example: laop user add lily --role sales --subaccount cn1520001234 --email lily@example.com
    """
    from laop.services.users import add_user, user_view

    with store() as session:
        user = add_user(session, name=name, role=role, subaccount=subaccount, email=email)
        view = user_view(user)
    if as_json:
        emit_json(view)
    else:
        success(f"Added {view['role']} {view['name']} (id {view['id']}).")


@user_app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the users.

    Example: laop user list --json
    """
    from laop.render import render_users
    from laop.services.users import list_users, user_view

    with store(write=False) as session:
        rows = [user_view(u) for u in list_users(session)]
    emit_json(rows) if as_json else render_users(rows)


@user_app.command("edit")
def user_edit(
    name: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[Role | None, typer.Option(help="sales or manager.")] = None,
    subaccount: Annotated[str | None, typer.Option(help="Alibaba sub-account id 子账号.")] = None,
    email: Annotated[str | None, typer.Option(help="Where the daily digest goes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the user as JSON.")] = False,
) -> None:
    """Change a user's role, sub-account or e-mail.

    Example: laop user edit lily --email lily@example.com
    """
    from laop.services.users import edit_user, get_user, user_view

    with store() as session:
        user = edit_user(
            session, get_user(session, name), role=role, subaccount=subaccount, email=email
        )
        view = user_view(user)
    if as_json:
        emit_json(view)
    else:
        success(f"Updated {view['name']} ({view['role']}, {view['email'] or 'no e-mail'}).")
