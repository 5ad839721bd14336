"""orders, activity counts, monthly targets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_target",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("month", "kind"),
    )
    op.create_table(
        "activity_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("activity_count", schema=None) as batch_op:
        batch_op.create_index("ix_activity_day_kind", ["day", "kind"], unique=False)
        batch_op.create_index("ix_activity_user_day", ["user_id", "day"], unique=False)

    op.create_table(
        "customer_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("etd", sa.Date(), nullable=True),
        sa.Column("tracking", sa.String(length=120), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
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
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_customer_ordered", ["customer_id", "ordered_at"], unique=False
        )
        batch_op.create_index("ix_order_ordered", ["ordered_at"], unique=False)
        batch_op.create_index("ix_order_status_etd", ["status", "etd"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_index("ix_order_status_etd")
        batch_op.drop_index("ix_order_ordered")
        batch_op.drop_index("ix_order_customer_ordered")

    op.drop_table("customer_order")
    with op.batch_alter_table("activity_count", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_user_day")
        batch_op.drop_index("ix_activity_day_kind")

    op.drop_table("activity_count")
    op.drop_table("monthly_target")
