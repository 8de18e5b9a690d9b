"""delivery per story: a subscription's choice (per article or per story), story messages in the outbox

Revision ID: 0007
Revises: 0006

A delivery row can now be a story message (`kind` story.created or story.updated, `story_id`,
the message's `payload` frozen when it was made) instead of an alert's: `alert_id` becomes
nullable. `story_notice` keeps what each subscription was last told of each story.

On SQLite, making a column nullable rebuilds the table; dropping the old `delivery` table with
foreign keys on would cascade to every `delivery_attempt`, so the attempts are kept aside and
put back. A SQLite downgrade leaves the subscription's two new columns (see `downgrade`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sqlmodel.sql.sqltypes.UTCDateTime
_KEEP = "_keep_delivery_attempt"


def _delivery_columns(op_: BatchOperations, add: bool) -> None:
    if add:
        op_.add_column(sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                 server_default="alert"))
        op_.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        op_.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        op_.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        op_.create_foreign_key("fk_delivery_story", "story", ["story_id"], ["id"], ondelete="CASCADE")
        op_.create_index("ix_delivery_story_id", ["story_id"], unique=False)
    else:
        op_.drop_index("ix_delivery_story_id")
        op_.drop_constraint("fk_delivery_story", type_="foreignkey")
        op_.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
        op_.drop_column("payload")
        op_.drop_column("story_id")
        op_.drop_column("kind")


def _rebuild_delivery(add: bool) -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # the rebuild's DROP TABLE would cascade to the attempts: keep them aside
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {_KEEP}"))
        conn.execute(sa.text(f"CREATE TEMPORARY TABLE {_KEEP} AS SELECT * FROM delivery_attempt"))
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        _delivery_columns(batch_op, add)
    if sqlite:
        conn.execute(sa.text("DELETE FROM delivery_attempt"))
        conn.execute(sa.text(f"INSERT INTO delivery_attempt SELECT * FROM {_KEEP}"))
        conn.execute(sa.text(f"DROP TABLE {_KEEP}"))


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("subscription")}
    # kept by a SQLite downgrade (see there)
    if "deliver_per" not in columns:
        op.add_column("subscription", sa.Column("deliver_per", sqlmodel.sql.sqltypes.AutoString(length=16),
                                                nullable=False, server_default="article"))
    if "story_update_minutes" not in columns:
        op.add_column("subscription", sa.Column("story_update_minutes", sa.Integer(), nullable=False,
                                                server_default="60"))
    _rebuild_delivery(add=True)
    op.create_table(
        "story_notice",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("first_at", _TIME(), nullable=False),
        sa.Column("last_message_at", _TIME(), nullable=False),
        sa.Column("last_delivery_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("due_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "subscription_id"),
    )
    op.create_index("ix_story_notice_due_at", "story_notice", ["due_at"], unique=False)
    op.create_index("ix_story_notice_subscription_id", "story_notice", ["subscription_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_story_notice_subscription_id", "story_notice")
    op.drop_index("ix_story_notice_due_at", "story_notice")
    op.drop_table("story_notice")
    op.execute(sa.text("DELETE FROM delivery WHERE alert_id IS NULL"))  # story messages have no alert row
    _rebuild_delivery(add=False)
    if op.get_bind().dialect.name == "sqlite":
        # dropping columns rebuilds the table, and dropping the old subscription table would cascade to
        # every delivery and digest: the two columns stay (with their defaults, harmless to 0006)
        return
    op.drop_column("subscription", "story_update_minutes")
    op.drop_column("subscription", "deliver_per")
