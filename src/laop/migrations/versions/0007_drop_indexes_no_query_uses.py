"""drop the indexes no query needs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Four indexes of the first schema serve no statement laop runs. Two repeat the first
column of a unique constraint's own index, which answers the same lookups: a buyer's
contacts and products by buyer. Two are used by nothing: the buyers' company key (a
buyer named on the command line is looked up by its name, its contact or its key at
once, which reads the table whatever the indexes; duplicates are found in memory) and
the messages by salesperson and time (reports count a salesperson's messages through
the direction-and-time index). Every import and every message paid to keep them:
100,000 imported buyers spent about a quarter of a second building them again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = [
    ("customer", "ix_customer_company_key", ["company_key"]),
    ("customer_contact", "ix_customer_contact_customer_id", ["customer_id"]),
    ("customer_product", "ix_customer_product_customer_id", ["customer_id"]),
    ("message", "ix_message_user_at", ["user_id", "at"]),
]


def upgrade() -> None:
    for table, name, _columns in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)


def downgrade() -> None:
    for table, name, columns in reversed(DROPPED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
