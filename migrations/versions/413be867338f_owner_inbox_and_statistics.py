"""The owner's inbox and statistics: canned replies, unread marks, "don't know" replies

A new table `canned_replies`; `conversations.owner_read_at` (backfilled with the last activity, so
conversations the owner has seen before this release do not all turn up unread) and an index on
(user_id, last_inbound_at) for the unread count; `messages.dont_know` for the answered-by share.

Columns are added with plain ALTER TABLE ADD COLUMN, never a batch rebuild: rebuilding `messages`
on SQLite would drop its full-text triggers (models/search.py).

Revision ID: 413be867338f
Revises: d960bfc33ddb
Create Date: 2026-12-01 21:20:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "413be867338f"
down_revision = "d960bfc33ddb"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_canned_replies_user_id", "canned_replies", ["user_id"])
    op.add_column("conversations", sa.Column("owner_read_at", UTCDateTime(timezone=True)))
    op.execute("UPDATE conversations SET owner_read_at = last_message_at")
    op.create_index(
        "ix_conversations_user_inbound", "conversations", ["user_id", "last_inbound_at"]
    )
    op.add_column(
        "messages",
        sa.Column("dont_know", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+) rather than a batch rebuild, which would drop the
    # full-text triggers of `messages` on SQLite.
    op.drop_column("messages", "dont_know")
    op.drop_index("ix_conversations_user_inbound", table_name="conversations")
    op.drop_column("conversations", "owner_read_at")
    op.drop_index("ix_canned_replies_user_id", table_name="canned_replies")
    op.drop_table("canned_replies")
