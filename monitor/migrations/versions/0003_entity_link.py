"""entity links: records of several lists joined into one entity, each with its reason

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("left_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("right_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("judgement", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entity_link", schema=None) as batch_op:
        batch_op.create_index("ix_entity_link_pair", ["left_id", "right_id", "source"], unique=True)
        batch_op.create_index("ix_entity_link_right", ["right_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entity_link", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_link_right")
        batch_op.drop_index("ix_entity_link_pair")
    op.drop_table("entity_link")
