"""Leases off the indexes, and three indexes no query uses (issue 12: answering's write cost)

PostgreSQL updates a row in place (a HOT update: no index touched) only when no indexed column
changes. Every claim and every lease renewal wrote lease_until, which led the answer queue's
index, so each of them wrote all eleven indexes of conversations. The queue's index is now
partial, on the waiting conversations only, by how long they wait (the claims' order), and holds
no lease column. conversations.platform, conversations.language and messages.provider have three
to five values each: every query that filters on them also filters on the owner or a time window,
which their other indexes serve, yet every write of a message or a conversation wrote them too.
conversations gets room on its pages (fillfactor 80) for the in-place updates.

Revision ID: e8a4c6f2d9b1
Revises: d3f6b8a1c2e4
Create Date: 2026-12-02 04:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e8a4c6f2d9b1"
down_revision = "d3f6b8a1c2e4"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_conversations_platform", "conversations", "platform"),
    ("ix_conversations_language", "conversations", "language"),
    ("ix_messages_provider", "messages", "provider"),
)
WAITING = sa.text("answer_pending IS true")


def upgrade():
    op.drop_index("ix_conversations_answer_pending", table_name="conversations")
    op.create_index(
        "ix_conversations_waiting",
        "conversations",
        ["pending_since", "id"],
        postgresql_where=WAITING,
        sqlite_where=sa.text("answer_pending IS 1"),
    )
    for name, table, _column in DROPPED:
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE conversations SET (fillfactor = 80)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE conversations RESET (fillfactor)")
    for name, table, column in DROPPED:
        op.create_index(name, table, [column], unique=False)
    op.drop_index("ix_conversations_waiting", table_name="conversations")
    op.create_index(
        "ix_conversations_answer_pending", "conversations", ["answer_pending", "lease_until"]
    )
