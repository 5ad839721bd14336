"""`laop digest`: the morning summary, for the terminal, cron and e-mail."""

import sys
from enum import StrEnum
from typing import Annotated

import typer

from laop.cli import _options as opt
from laop.cli._common import store, visible_owner
from laop.output import emit_json, success, warn


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def digest(
    on: Annotated[
        str | None, typer.Option("--date", help="The business day (default: today).")
    ] = None,
    owner: opt.OwnerFilter = None,
    everyone: opt.Everyone = False,
    fmt: Annotated[Format, typer.Option("--format", help="text, markdown or json.")] = Format.TEXT,
    mail_to: Annotated[
        str | None, typer.Option("--mail-to", help="Send this digest to one address.")
    ] = None,
    mail: Annotated[
        bool, typer.Option("--mail", help="Send every user (or --owner) their own digest.")
    ] = False,
) -> None:
    """What needs doing today: replies owed, follow-ups, new buyers, orders, quotas.

    Never prompts; exit 0 also when nothing is due. Example crontab line:
    30 8 * * 1-6 laop digest --mail

    Example: laop digest --owner lily --format markdown
    """
    from laop.errors import DeliveryError, InvalidInput
    from laop.services.clock import parse_date
    from laop.services.digest import (
        build_digest,
        render_html,
        render_markdown,
        render_text,
        subject,
    )
    from laop.services.mailer import build_message, send, smtp_settings
    from laop.services.users import get_user, list_users

    if mail and mail_to:
        raise InvalidInput("Give either --mail (each user their own) or --mail-to ADDR, not both.")
    day = parse_date(on) if on else None
    renderers = {Format.TEXT: render_text, Format.MARKDOWN: render_markdown}
    with store(write=False, collect=False) as session:
        if mail:
            recipients = [get_user(session, owner)] if owner else list_users(session)
            settings = smtp_settings(session)
            messages, skipped = [], []
            for user in recipients:
                if not user.email:
                    skipped.append(user.name)
                    continue
                built = build_digest(session, user=user, on=day)
                messages.append(
                    build_message(
                        sender=settings.sender,
                        to=user.email,
                        subject=subject(built),
                        text=render_text(built),
                        html=render_html(built),
                    )
                )
            names = {
                str(m["To"]): u.name
                for m, u in zip(messages, [r for r in recipients if r.email], strict=True)
            }
        else:
            built = build_digest(
                session, user=visible_owner(session, owner=owner, everyone=everyone), on=day
            )
            if mail_to:
                settings = smtp_settings(session)
                message = build_message(
                    sender=settings.sender,
                    to=_address(mail_to),
                    subject=subject(built),
                    text=render_text(built),
                    html=render_html(built),
                )
    if mail:
        for name in skipped:
            warn(f"{name} has no e-mail address; set one with `laop user edit`.")
        failures = send(settings, messages)
        sent = len(messages) - len(failures)
        if failures:
            failed = ", ".join(f"{names[to]} ({reason})" for to, reason in failures.items())
            raise DeliveryError(f"Sent {sent} digests; failed for {failed}.")
        success(f"Sent {sent} digests.")
        return
    if mail_to:
        failures = send(settings, [message])
        if failures:
            raise DeliveryError(
                f"The digest to {mail_to} was refused: {failures[str(message['To'])]}."
            )
        success(f"Sent the digest to {mail_to}.")
        return
    if fmt == Format.JSON:
        emit_json(built)
    else:
        sys.stdout.write(renderers[fmt](built))


def _address(value: str) -> str:
    from laop.services.normalize import normalize_email

    return normalize_email(value)
