"""The due list's statement (`laop due`, the digest) and the open reply clocks' (the
digest, `laop inquiry overdue`), free of the database stack.

The console script builds and starts them on a SQLite store while the rest of laop
loads (``laop.prefetch``); ``services.due`` and ``services.reply_report`` run the very
same text otherwise. Every
value in it is computed by laop (days, instants, an owner id, a checked grade), never
typed by a user, so the text carries them as literals and reads the same on SQLite
and PostgreSQL.
"""

from datetime import date, datetime

from laop.enums import OPEN_INQUIRY_STATUSES
from laop.services.literals import instant_literal

__all__ = ["COLUMNS", "due_statement", "open_clocks_statement"]

# Only what the list shows: thousands of rows stay cheap without whole ORM objects.
# The eleventh column says whether the buyer awaits our reply as of the day.
COLUMNS = (
    "id",
    "company",
    "contact",
    "country",
    "grade",
    "owner_id",
    "awaiting_since",
    "due_on",
    "last_contact_at",
    "last_out_at",
    "last_in_channel",
)


def due_statement(
    *,
    as_of: date,
    as_of_end: datetime,
    owner_id: int | None,
    grade: str | None,
    follow_up_only: bool,
    with_product: bool,
) -> str:
    """Buyers awaiting our reply by the end of ``as_of`` or due by it.

    Columns: ``COLUMNS``, then 1 when the buyer awaits our reply as of the day (else 0
    or NULL), then (``with_product``) the product of its newest open inquiry that names
    one. ``follow_up_only`` leaves out the buyers awaiting our reply.
    """
    end, day = instant_literal(as_of_end), f"'{as_of.isoformat()}'"
    awaiting = f"customer.awaiting_since IS NOT NULL AND customer.awaiting_since < {end}"
    if follow_up_only:
        conditions = [
            f"customer.due_on <= {day}",
            f"(customer.awaiting_since IS NULL OR customer.awaiting_since >= {end})",
        ]
    else:
        conditions = [f"({awaiting} OR customer.due_on <= {day})"]
    if owner_id is not None:
        conditions.append(f"customer.owner_id = {int(owner_id)}")
    if grade is not None:
        if grade not in ("A", "B", "C", "D"):
            raise ValueError(f"not a grade: {grade!r}")
        conditions.append(f"customer.grade = '{grade}'")
    columns = [f"customer.{name}" for name in COLUMNS]
    columns.append(f"customer.awaiting_since < {end}")
    if with_product:
        statuses = ", ".join(f"'{status}'" for status in OPEN_INQUIRY_STATUSES)
        columns.append(
            "(SELECT inquiry.product FROM inquiry WHERE inquiry.customer_id = customer.id"
            f" AND inquiry.status IN ({statuses}) AND inquiry.product IS NOT NULL"
            " ORDER BY inquiry.received_at DESC, inquiry.id DESC LIMIT 1)"
        )
    # Rows come in no order the list needs (it sorts them by urgency), but sorted all
    # the same, on a key no index gives: SQLite then computes every row before it
    # returns the first, in one step, which an early read runs while laop loads.
    return (
        f"SELECT {', '.join(columns)} FROM customer WHERE {' AND '.join(conditions)}"
        " ORDER BY customer.id + 0"
    )


def open_clocks_statement(*, owner_id: int | None, breached_by: datetime | None) -> str:
    """The reply clocks still open (of ``owner_id``'s buyers), oldest first.

    Columns: the buyer's id, the channel, the opening and the deadline, the buyer's
    company, contact and owner, and the id of the inquiry that opened the clock (or
    NULL). ``breached_by``: only the clocks whose deadline is before this instant.
    Sorted on a key no index gives (the caller orders them by deadline), so that
    SQLite computes every row in its first step, as the due statement.
    """
    conditions = ["reply_clock.closed_at IS NULL"]
    if owner_id is not None:
        conditions.append(f"customer.owner_id = {int(owner_id)}")
    if breached_by is not None:
        conditions.append(f"reply_clock.deadline < {instant_literal(breached_by)}")
    return (
        "SELECT reply_clock.customer_id, reply_clock.channel, reply_clock.opened_at,"
        " reply_clock.deadline, customer.company, customer.contact, customer.owner_id,"
        " inquiry.id FROM reply_clock"
        " JOIN customer ON customer.id = reply_clock.customer_id"
        " LEFT OUTER JOIN inquiry ON inquiry.message_id = reply_clock.first_message_id"
        f" WHERE {' AND '.join(conditions)} ORDER BY reply_clock.id + 0"
    )
