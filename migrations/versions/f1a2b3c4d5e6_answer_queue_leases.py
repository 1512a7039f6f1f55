"""Answering from a durable queue: conversations claimed with a lease, replies retried durably

Every worker of every instance takes work from the database instead of a per-process list: a
conversation with unanswered messages is marked `answer_pending` (with a generation counter the
webhook bumps), and a worker claims it with a lease it renews; a dead worker's lease expires and
another takes over. A reply the platform refused for now (flood control) waits for its
`retry_at`, counting its `attempts`. Telegram button presses keep their callback id on the message, because the
answering task no longer receives it as an argument. Only columns and an index are added.

Revision ID: f1a2b3c4d5e6
Revises: e5b9d3a7c1f4
Create Date: 2026-12-01 19:00:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "f1a2b3c4d5e6"
down_revision = "e5b9d3a7c1f4"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "conversations",
        sa.Column("answer_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "conversations",
        sa.Column("answer_gen", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("conversations", sa.Column("lease_owner", sa.String(length=64), nullable=True))
    op.add_column(
        "conversations", sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_conversations_answer_pending",
        "conversations",
        ["answer_pending", "lease_until"],
    )
    op.add_column("messages", sa.Column("callback_id", sa.String(length=128), nullable=True))
    op.add_column("messages", sa.Column("retry_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column(
        "messages", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    # Messages waiting when this deploys are answered from the new queue.
    op.execute(
        "UPDATE conversations SET answer_pending = true WHERE id IN (SELECT conversation_id "
        "FROM messages WHERE direction = 'in' AND status IN ('received', 'processing'))"
    )


def downgrade():
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("callback_id")
    op.drop_index("ix_conversations_answer_pending", table_name="conversations")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("answer_gen")
        batch_op.drop_column("answer_pending")
