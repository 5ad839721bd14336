"""Sending digests by SMTP: settings in the database, the password only in the environment."""

import os
import smtplib
import socket
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from sqlmodel import Session

from laop.errors import DeliveryError, InvalidInput
from laop.services.settings import get_setting

__all__ = ["PASSWORD_VARIABLE", "SmtpSettings", "build_message", "send", "smtp_settings"]

PASSWORD_VARIABLE = "LAOP_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30


class SmtpSettings:
    """Where and how to send, read once per command."""

    def __init__(self, session: Session) -> None:
        self.host = get_setting(session, "smtp.host")
        self.port = int(get_setting(session, "smtp.port"))
        self.sender = get_setting(session, "smtp.from")
        self.starttls = get_setting(session, "smtp.starttls") == "true"
        self.user = get_setting(session, "smtp.user")
        self.password = os.environ.get(PASSWORD_VARIABLE, "")
        if not self.sender:
            raise InvalidInput(
                "Set the sender first: laop config set smtp.from laop@your-company.com"
            )
        if self.user and not self.password:
            raise InvalidInput(f"smtp.user is set; put its password in {PASSWORD_VARIABLE}.")


def smtp_settings(session: Session) -> SmtpSettings:
    """The SMTP settings, checked."""
    return SmtpSettings(session)


def build_message(*, sender: str, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A multipart text + HTML message with UTF-8 subject, Date and Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    address = parseaddr(sender)[1]
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(settings: SmtpSettings, messages: list[EmailMessage]) -> dict[str, str]:
    """Send messages over one connection; returns {recipient: error} for those that failed.

    A server that cannot be reached at all raises DeliveryError.
    """
    failures: dict[str, str] = {}
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.user:
                smtp.login(settings.user, settings.password)
            for message in messages:
                try:
                    smtp.send_message(message)
                except smtplib.SMTPException as exc:
                    failures[str(message["To"])] = _reason(exc)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"Cannot send mail through {settings.host}:{settings.port} ({_reason(exc)})."
        ) from exc
    return failures


def _reason(exc: Any) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {text.decode(errors='replace')}"
            for address, (code, text) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    if isinstance(exc, socket.timeout):
        return "timed out"
    return str(exc) or type(exc).__name__
