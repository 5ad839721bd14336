"""covering indexes for the monthly reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

The KPI queries read every buyer's grade and owner, every reply clock of a month and
the grade changes since a date: indexes holding those columns answer them without
reading the (wide) table rows. Each replaces a narrower index with the same leading
column.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLY_STATS = [
    "opened_at",
    "owner_id",
    "closed_at",
    "deadline",
    "timely",
    "same_day",
    "reply_seconds",
]


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_grade")
        batch_op.create_index(
            "ix_customer_grade_owner", ["grade", "owner_id", "acquired_at"], unique=False
        )

    with op.batch_alter_table("reply_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_clock_opened")
        batch_op.create_index("ix_reply_clock_opened_stats", REPLY_STATS, unique=False)

    with op.batch_alter_table("grade_change", schema=None) as batch_op:
        batch_op.create_index("ix_grade_change_at", ["at", "customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grade_change", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_change_at")

    with op.batch_alter_table("reply_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_clock_opened_stats")
        batch_op.create_index("ix_reply_clock_opened", ["opened_at"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_grade_owner")
        batch_op.create_index("ix_customer_grade", ["grade"], unique=False)
