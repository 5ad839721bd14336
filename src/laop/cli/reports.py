"""`laop report`: the manager's monthly lists."""

from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import new_typer, store, visible_owner
from laop.output import console, emit_json

report_app = new_typer("Monthly reports for the manager: A-grade list, cadence compliance.")

Month = Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: this month).")]


@report_app.command("a-list")
def report_a_list(
    month: Month = None,
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    as_json: opt.Json = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown (for mail or a wiki).")
    ] = False,
) -> None:
    """List every A-grade buyer with its situation: contacts, open inquiries.

    Example: laop report a-list --month 2026-10 --markdown
    """
    from laop.render import render_a_list
    from laop.services.clock import business_tz, parse_month
    from laop.services.reports import a_list

    with store(write=False) as session:
        year, number = parse_month(month, business_tz(session))
        report = a_list(
            session,
            year=year,
            month=number,
            owner=visible_owner(session, owner=owner, everyone=everyone),
        )
    if as_json:
        emit_json(report)
    elif markdown:
        console.print(_a_list_markdown(report), markup=False, highlight=False, soft_wrap=True)
    else:
        render_a_list(report)


def _a_list_markdown(report: dict) -> str:  # type: ignore[type-arg]
    lines = [f"# A-grade buyers A级客户 — {report['month']}", ""]
    if not report["customers"]:
        lines.append("No A-grade buyers.")
    for row in report["customers"]:
        name = row["company"] or row["contact"] or f"customer {row['customer_id']}"
        lines.append(
            f"## {name} (#{row['customer_id']}, {row['country'] or '?'}, "
            f"owner {row['owner'] or '–'})"
        )
        counts = row["contacts_in_month"]
        state = (
            "awaiting our reply"
            if row["awaiting_reply"]
            else f"next follow-up {row['due_on'] or '–'}"
        )
        lines.append(
            f"- Contacts this month: {counts.get('out', 0)} out, {counts.get('in', 0)} in; {state}"
        )
        for q in row["open_inquiries"]:
            lines.append(
                f"- Open inquiry #{q['id']} ({q['received_at'][:10]}): "
                f"{q['product'] or '–'} {q['quantity'] or ''} [{q['status']}]".replace("  ", " ")
            )
        for m in row["recent_messages"]:
            arrow = "→" if m["direction"] == "out" else "←"
            lines.append(
                f"- {m['at'][:16].replace('T', ' ')} {arrow} {m['channel']} {m['kind']}: "
                f"{m['note'] or ''}".rstrip()
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@report_app.command("cadence")
def report_cadence(
    month: Month = None,
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    as_json: opt.Json = False,
) -> None:
    """Cadence compliance: share of buyers followed up as often as their grade asks.

    Example: laop report cadence --month 2026-10 --all
    """
    from laop.render import render_compliance
    from laop.services.clock import business_tz, parse_month
    from laop.services.compliance import cadence_compliance

    with store(write=False) as session:
        year, number = parse_month(month, business_tz(session))
        report = cadence_compliance(
            session,
            year=year,
            month=number,
            owner=visible_owner(session, owner=owner, everyone=everyone),
        )
    emit_json(report) if as_json else render_compliance(report)
