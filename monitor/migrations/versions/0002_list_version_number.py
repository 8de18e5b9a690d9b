"""list versions numbered per dataset

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("list_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    # Existing loads get their position within their own dataset, oldest first.
    op.execute(
        "UPDATE list_version SET number = (SELECT COUNT(*) FROM list_version AS older "
        "WHERE older.dataset = list_version.dataset AND older.id <= list_version.id)"
    )
    with op.batch_alter_table("list_version", schema=None) as batch_op:
        batch_op.create_index("ix_list_version_dataset_number", ["dataset", "number"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("list_version", schema=None) as batch_op:
        batch_op.drop_index("ix_list_version_dataset_number")
        batch_op.drop_column("number")
