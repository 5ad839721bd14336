"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subaccount", sa.String(length=80), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_name"), ["name"], unique=True)

    op.create_table(
        "customer",
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("nature", sa.String(length=20), nullable=True),
        sa.Column("strength", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("company_key", sa.String(length=300), nullable=False),
        sa.Column("contact_key", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(), nullable=True),
        sa.Column("last_out_at", sa.DateTime(), nullable=True),
        sa.Column("last_out_day", sa.Date(), nullable=True),
        sa.Column("last_in_channel", sa.String(length=20), nullable=True),
        sa.Column("awaiting_since", sa.DateTime(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_awaiting", ["awaiting_since"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_company_key"), ["company_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_country"), ["country"], unique=False)
        batch_op.create_index("ix_customer_due", ["due_on"], unique=False)
        batch_op.create_index("ix_customer_grade", ["grade"], unique=False)
        batch_op.create_index(
            "ix_customer_owner_acquired", ["owner_id", "acquired_at"], unique=False
        )
        batch_op.create_index(
            "ix_customer_owner_awaiting", ["owner_id", "awaiting_since"], unique=False
        )
        batch_op.create_index("ix_customer_owner_due", ["owner_id", "due_on"], unique=False)

    op.create_table(
        "customer_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("domain", sa.String(length=254), nullable=True),
        sa.Column("whatsapp", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "kind", "value"),
    )
    with op.batch_alter_table("customer_contact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_contact_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_customer_contact_domain", ["domain"], unique=False)
        batch_op.create_index("ix_customer_contact_value", ["kind", "value"], unique=False)

    op.create_table(
        "customer_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customer_event", schema=None) as batch_op:
        batch_op.create_index("ix_customer_event_customer_at", ["customer_id", "at"], unique=False)

    op.create_table(
        "customer_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "product"),
    )
    with op.batch_alter_table("customer_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_product_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_product_product"), ["product"], unique=False)

    op.create_table(
        "grade_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("old_grade", sa.String(length=1), nullable=True),
        sa.Column("new_grade", sa.String(length=1), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grade_change", schema=None) as batch_op:
        batch_op.create_index("ix_grade_change_customer_at", ["customer_id", "at"], unique=False)

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index("ix_message_at", ["at"], unique=False)
        batch_op.create_index("ix_message_customer_at", ["customer_id", "at"], unique=False)
        batch_op.create_index("ix_message_user_at", ["user_id", "at"], unique=False)

    op.create_table(
        "inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.String(length=80), nullable=True),
        sa.Column("message", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.create_index("ix_inquiry_customer_status", ["customer_id", "status"], unique=False)
        batch_op.create_index("ix_inquiry_received_at", ["received_at"], unique=False)

    op.create_table(
        "reply_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("first_message_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_day", sa.Date(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=10), nullable=True),
        sa.Column("reply_seconds", sa.Integer(), nullable=True),
        sa.Column("timely", sa.Boolean(), nullable=True),
        sa.Column("same_day", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["first_message_id"],
            ["message.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reply_clock", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reply_clock_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_reply_clock_open", ["closed_at", "deadline"], unique=False)
        batch_op.create_index("ix_reply_clock_opened", ["opened_at"], unique=False)
        batch_op.create_index(
            "ix_reply_clock_owner_opened", ["owner_id", "opened_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("reply_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_clock_owner_opened")
        batch_op.drop_index("ix_reply_clock_opened")
        batch_op.drop_index("ix_reply_clock_open")
        batch_op.drop_index(batch_op.f("ix_reply_clock_customer_id"))

    op.drop_table("reply_clock")
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_received_at")
        batch_op.drop_index("ix_inquiry_customer_status")

    op.drop_table("inquiry")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_user_at")
        batch_op.drop_index("ix_message_customer_at")
        batch_op.drop_index("ix_message_at")

    op.drop_table("message")
    with op.batch_alter_table("grade_change", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_change_customer_at")

    op.drop_table("grade_change")
    with op.batch_alter_table("customer_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_product_product"))
        batch_op.drop_index(batch_op.f("ix_customer_product_customer_id"))

    op.drop_table("customer_product")
    with op.batch_alter_table("customer_event", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_event_customer_at")

    op.drop_table("customer_event")
    with op.batch_alter_table("customer_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_contact_value")
        batch_op.drop_index("ix_customer_contact_domain")
        batch_op.drop_index(batch_op.f("ix_customer_contact_customer_id"))

    op.drop_table("customer_contact")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_owner_due")
        batch_op.drop_index("ix_customer_owner_awaiting")
        batch_op.drop_index("ix_customer_owner_acquired")
        batch_op.drop_index("ix_customer_grade")
        batch_op.drop_index("ix_customer_due")
        batch_op.drop_index(batch_op.f("ix_customer_country"))
        batch_op.drop_index(batch_op.f("ix_customer_company_key"))
        batch_op.drop_index("ix_customer_awaiting")

    op.drop_table("customer")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_name"))

    op.drop_table("user")
    op.drop_table("setting")
