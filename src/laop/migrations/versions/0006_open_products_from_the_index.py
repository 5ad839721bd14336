"""open inquiry products read from the index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

The due list and the digest show each buyer's newest open inquiry that names a
product. Walking a buyer's inquiries newest first through (customer_id, received_at)
still read every inquiry's row for its status and product; an index that also holds
id, status and product answers from the index alone. It replaces 0005's index, which
it serves every query of.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["customer_id", "received_at", "id", "status", "product"]


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_customer_received")
        batch_op.create_index("ix_inquiry_customer_newest", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_customer_newest")
        batch_op.create_index(
            "ix_inquiry_customer_received", ["customer_id", "received_at"], unique=False
        )
