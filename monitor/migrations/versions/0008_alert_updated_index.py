"""an index on the alert's update time: the live stream reads the alerts changed since it last looked

Revision ID: 0008
Revises: 0007

An index only: SQLite adds it without rebuilding the table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alert_updated", "alert", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alert_updated", "alert")
