"""one alert per article, every rule that fired as its labels

Revision ID: 0006
Revises: 0005

Existing (article, rule) rows are merged into one alert per article: the oldest row stays
(its id, so links to it keep working) and gets every row's rule as a label (with that row's
evidence, score, severity and suppressed flag); the others' reviews, entity links,
deliveries (attempts kept) and digest items move to it, and the others are deleted. The
merged status is the riskiest of the rows (escalated > confirmed > new > dismissed), so no
rule still waiting for review is hidden by another one's dismissal; the merge is written to
the alert's audit trail. Downgrading splits the labels back into one row per rule.

The upgrade can run again after a failure part-way: on SQLite, where Alembic's DDL is not
transactional, what an earlier attempt added is found and kept. The label arithmetic is
copied here, frozen, so a later change to monitor.alerts.labels cannot change this migration.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sqlmodel.sql.sqltypes.UTCDateTime
ALERT = sa.table(
    "alert",
    sa.column("id", sa.Integer), sa.column("article_id", sa.Integer), sa.column("feed_id", sa.Integer),
    sa.column("rule_id", sa.String), sa.column("category", sa.String), sa.column("severity", sa.String),
    sa.column("severity_rank", sa.Integer), sa.column("score", sa.Float), sa.column("title", sa.Text),
    sa.column("explanation", sa.Text), sa.column("entity_ids", sa.JSON), sa.column("evidence", sa.JSON),
    sa.column("rules", sa.JSON), sa.column("labels", sa.JSON), sa.column("status", sa.String),
    sa.column("suppressed", sa.Boolean), sa.column("rescreened", sa.Boolean),
    sa.column("created_at", _TIME()), sa.column("updated_at", _TIME()), sa.column("language", sa.String),
)
LABEL = sa.table(
    "alert_label", sa.column("alert_id", sa.Integer), sa.column("rule_id", sa.String),
    sa.column("category", sa.String), sa.column("severity_rank", sa.Integer), sa.column("suppressed", sa.Boolean),
)
REVIEW = sa.table(
    "alert_review", sa.column("alert_id", sa.Integer), sa.column("actor", sa.String), sa.column("at", _TIME()),
    sa.column("from_status", sa.String), sa.column("to_status", sa.String), sa.column("reason", sa.String),
    sa.column("note", sa.Text),
)
ENTITY = sa.table("alert_entity", sa.column("alert_id", sa.Integer), sa.column("entity_id", sa.String))
DELIVERY = sa.table("delivery", sa.column("id", sa.Integer), sa.column("alert_id", sa.Integer),
                    sa.column("subscription_id", sa.Integer))
ATTEMPT = sa.table("delivery_attempt", sa.column("delivery_id", sa.Integer))
DIGEST_ITEM = sa.table("digest_item", sa.column("alert_id", sa.Integer), sa.column("subscription_id", sa.Integer))
STATUS_WEIGHT = {"escalated": 4, "confirmed": 3, "new": 2, "dismissed": 1}
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
BATCH = 1000  # articles merged per round, so memory does not grow with the alert table


def rank(label: dict[str, Any]) -> int:
    return SEVERITY_RANK.get(str(label.get("severity", "")), 2)


def ordered(labels: Any) -> list[dict[str, Any]]:
    return sorted(labels, key=lambda lab: (-rank(lab), -float(lab.get("score") or 0.0), str(lab["rule_id"])))


def summary(labels: list[dict[str, Any]]) -> dict[str, Any]:
    # the alert's fields from its labels, as monitor.alerts.labels.summary computed them when written
    everything = ordered(labels)
    active = [lab for lab in everything if not lab.get("suppressed")]
    shown = active or everything
    top = shown[0]
    entity_ids: list[str] = []
    evidence: list[Any] = []
    spans: set[tuple[Any, ...]] = set()
    for lab in shown:
        entity_ids.extend(lab.get("entity_ids") or [])
        for span in lab.get("evidence") or []:
            key = (span.get("field"), span.get("start"), span.get("end")) if isinstance(span, dict) else (repr(span),)
            if key not in spans:
                spans.add(key)
                evidence.append(span)
    return {
        "rule_id": top["rule_id"], "category": top.get("category") or "sanctions",
        "severity": top.get("severity") or "medium", "severity_rank": rank(top),
        "score": max(float(lab.get("score") or 0.0) for lab in shown),
        "explanation": top.get("explanation") or "", "entity_ids": list(dict.fromkeys(entity_ids)),
        "evidence": evidence, "rules": [lab["rule_id"] for lab in shown if not lab.get("suppressed")],
        "suppressed": not active,
    }


def _label(row: Any) -> dict[str, Any]:
    return {
        "rule_id": row.rule_id, "category": row.category, "severity": row.severity, "score": row.score,
        "explanation": row.explanation or "", "entity_ids": list(row.entity_ids or []),
        "evidence": list(row.evidence or []), "suppressed": bool(row.suppressed),
        "created_at": row.created_at.isoformat(),
    }


def _move(conn: Any, table: Any, key: str, keep: int, others: list[int]) -> None:
    """Re-point `others`' rows of a (alert_id, key)-unique table to `keep`, dropping clashes."""
    have = set(conn.execute(sa.select(table.c[key]).where(table.c.alert_id == keep)).scalars())
    for row in conn.execute(sa.select(table.c[key], table.c.alert_id).where(table.c.alert_id.in_(others))).all():
        where = sa.and_(table.c.alert_id == row.alert_id, table.c[key] == row[0])
        if row[0] in have:
            conn.execute(table.delete().where(where))
        else:
            conn.execute(table.update().where(where).values(alert_id=keep))
            have.add(row[0])


def _move_deliveries(conn: Any, keep: int, others: list[int]) -> None:
    """One delivery per subscription: the oldest; the others' attempts join it (the trail is kept)."""
    rows = conn.execute(
        sa.select(DELIVERY.c.id, DELIVERY.c.subscription_id)
        .where(DELIVERY.c.alert_id.in_([keep, *others])).order_by(DELIVERY.c.id)
    ).all()
    kept: dict[int, int] = {}
    for row in rows:
        if row.subscription_id not in kept:
            kept[row.subscription_id] = row.id
            continue
        conn.execute(ATTEMPT.update().where(ATTEMPT.c.delivery_id == row.id)
                     .values(delivery_id=kept[row.subscription_id]))
        conn.execute(DELIVERY.delete().where(DELIVERY.c.id == row.id))
    # only now, with every other delivery of the subscription gone, can the kept one move to
    # `keep` without meeting the (alert, subscription) constraint
    for delivery_id in kept.values():
        conn.execute(DELIVERY.update().where(DELIVERY.c.id == delivery_id).values(alert_id=keep))


def _merge(conn: Any, rows: list[Any]) -> None:
    keep, others = rows[0], [r.id for r in rows[1:]]
    # a row an earlier, interrupted attempt already merged carries its labels: keep them
    labels = {lab["rule_id"]: lab for r in rows for lab in (r.labels or [_label(r)])}
    fields = summary(list(labels.values()))
    status = max((r.status for r in rows), key=lambda s: STATUS_WEIGHT.get(s, 2))
    if others:  # first, so the old (article, rule) constraint never sees two rows of one rule
        conn.execute(REVIEW.update().where(REVIEW.c.alert_id.in_(others)).values(alert_id=keep.id))
        _move(conn, ENTITY, "entity_id", keep.id, others)
        _move(conn, DIGEST_ITEM, "subscription_id", keep.id, others)
        _move_deliveries(conn, keep.id, others)
        merged = "; ".join(f"alert {r.id} ({r.rule_id}, {r.status})" for r in rows)
        conn.execute(REVIEW.insert().values(
            alert_id=keep.id, actor="migration", at=datetime.now(UTC),
            from_status=keep.status, to_status=status, reason="one alert per article",
            note=f"merged into alert {keep.id}: {merged}",
        ))
        conn.execute(ALERT.delete().where(ALERT.c.id.in_(others)))
    conn.execute(
        ALERT.update().where(ALERT.c.id == keep.id).values(
            **fields, labels=ordered(labels.values()), status=status, updated_at=max(r.updated_at for r in rows)
        )
    )
    conn.execute(LABEL.insert(), [
        {"alert_id": keep.id, "rule_id": lab["rule_id"], "category": lab["category"],
         "severity_rank": rank(lab), "suppressed": lab["suppressed"]}
        for lab in labels.values()
    ])


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    columns = {c["name"] for c in inspector.get_columns("alert")}
    for name in ("rules", "labels"):  # kept by an earlier attempt or a SQLite downgrade
        if name not in columns:
            op.add_column("alert", sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
    if inspector.has_table("alert_label"):  # left by an earlier attempt that failed part-way
        op.drop_table("alert_label")
    op.create_table(
        "alert_label",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("alert_id", "rule_id"),
    )
    op.create_index("ix_alert_label_rule", "alert_label", ["rule_id", "alert_id"], unique=False)
    last = -1
    while True:  # a batch of articles at a time (keyset on article_id)
        articles = list(conn.execute(
            sa.select(ALERT.c.article_id).where(ALERT.c.article_id > last)
            .group_by(ALERT.c.article_id).order_by(ALERT.c.article_id).limit(BATCH)
        ).scalars())
        if not articles:
            break
        last = articles[-1]
        groups: dict[int, list[Any]] = defaultdict(list)
        for row in conn.execute(sa.select(ALERT).where(ALERT.c.article_id.in_(articles))
                                .order_by(ALERT.c.article_id, ALERT.c.id)):
            groups[row.article_id].append(row)
        for rows in groups.values():
            _merge(conn, rows)
    # A unique index, not a constraint: SQLite adds it without rebuilding the alert table (a
    # rebuild drops the old table, and with foreign keys on that cascades to every review and
    # delivery). SQLite keeps the old (article, rule) constraint, which the new index implies.
    if conn.dialect.name != "sqlite":
        op.drop_constraint("uq_alert_article_rule", "alert", type_="unique")
    op.create_index("uq_alert_article", "alert", ["article_id"], unique=True)


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_index("uq_alert_article", "alert")
    for row in conn.execute(sa.select(ALERT)).all():
        for label in row.labels or []:
            if label["rule_id"] == row.rule_id:
                values = {"explanation": label.get("explanation", ""), "entity_ids": label.get("entity_ids", []),
                          "evidence": label.get("evidence", []), "suppressed": label.get("suppressed", False)}
                conn.execute(ALERT.update().where(ALERT.c.id == row.id).values(**values))
                continue
            conn.execute(ALERT.insert().values(
                article_id=row.article_id, feed_id=row.feed_id, rule_id=label["rule_id"],
                category=label["category"], severity=label["severity"], severity_rank=rank(label),
                score=label["score"], title=row.title, explanation=label.get("explanation", ""),
                entity_ids=label.get("entity_ids", []), evidence=label.get("evidence", []), status=row.status,
                suppressed=label.get("suppressed", False), rescreened=row.rescreened, language=row.language,
                created_at=row.created_at, updated_at=row.updated_at, rules=[], labels=[],
            ))
    op.drop_index("ix_alert_label_rule", "alert_label")
    op.drop_table("alert_label")
    if conn.dialect.name == "sqlite":  # dropping columns would rebuild the table (see upgrade)
        return
    op.drop_column("alert", "labels")
    op.drop_column("alert", "rules")
    op.create_unique_constraint("uq_alert_article_rule", "alert", ["article_id", "rule_id"])
