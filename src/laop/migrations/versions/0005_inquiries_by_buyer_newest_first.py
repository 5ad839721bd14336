"""inquiries by buyer, newest first

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

The due list and the digest show each buyer's newest open inquiry: an index on
(customer_id, received_at) walks a buyer's inquiries newest first and stops at the
first open one. It replaces (customer_id, status), whose queries read a buyer's few
inquiries through it just as well.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_customer_status")
        batch_op.create_index(
            "ix_inquiry_customer_received", ["customer_id", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_customer_received")
        batch_op.create_index("ix_inquiry_customer_status", ["customer_id", "status"], unique=False)
