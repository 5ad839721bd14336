"""drop the indexes no query uses

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Two indexes of the first schema serve no statement laop runs: the buyers' company
key (a buyer named on the command line is looked up by its name, its contact or its
key at once, which reads the table whatever the indexes; duplicates are found in
memory) and the messages by salesperson and time (reports count a salesperson's
messages through the direction-and-time index). Every import and message paid to keep
them: 100,000 imported buyers spent about 0.2 s building them again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_company_key")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_user_at")


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index("ix_message_user_at", ["user_id", "at"], unique=False)
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_company_key", ["company_key"], unique=False)
