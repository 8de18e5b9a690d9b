"""article language: the detected ISO 639-1 code in `language` (indexed, filtered on), the feed's
own declaration kept apart in `declared_language`; each alert carries its article's language
(alert lists, exports, webhooks and digests filter and show it without a join)

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared_language", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    # until now `language` held the feed's declaration: keep it as such; the detected language is
    # filled in as articles are (re)matched
    op.execute("UPDATE article SET declared_language = language, language = NULL")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index("ix_article_language", ["language"], unique=False)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_index("ix_alert_language", ["language"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_language")
        batch_op.drop_column("language")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_language")
    op.execute("UPDATE article SET language = declared_language")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("declared_language")
